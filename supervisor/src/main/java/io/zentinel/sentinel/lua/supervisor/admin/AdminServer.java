package io.zentinel.sentinel.lua.supervisor.admin;

import io.zentinel.sentinel.lua.supervisor.admin.AdminProtocol.Command;
import io.zentinel.sentinel.lua.supervisor.admin.AdminProtocol.ErrorCode;
import io.zentinel.sentinel.lua.supervisor.admin.AdminProtocol.RequestException;
import io.zentinel.sentinel.lua.supervisor.proxy.BoundSocket;
import io.zentinel.sentinel.lua.supervisor.proxy.SocketInUseException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketCredentials;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the admin socket ({@code admin.socket-path}) with the {@link AdminProtocol}.
 *
 * <p>The socket file follows the proxy socket's policy (see {@code ProxyListener}): something that
 * is not a socket is never deleted; a socket that accepts a connection belongs to a live agent
 * ({@link SocketInUseException}, exit 69); a socket that refuses is stale and replaced. The
 * address is not reused, and the file is removed on {@link #close()} only while it is still ours.
 * Permissions are {@code 0600} (owner only) right after binding, and every connection is checked
 * against {@link PeerPolicy} with the peer's credentials.
 *
 * <p>Threads: one platform thread {@code admin-listener} takes one of {@value #MAX_CONNECTIONS}
 * permits, then accepts; each connection runs on a platform daemon thread {@code admin-conn-<n>}
 * (admin traffic is rare, and junixsocket serves blocked virtual-thread reads poorly). A reload
 * blocks its connection thread until the new workers are ready or rejected.
 */
public final class AdminServer implements AutoCloseable {
    /** {@code rw-------}: only the agent's user may connect. */
    public static final Set<PosixFilePermission> SOCKET_PERMISSIONS = PosixFilePermissions.fromString("rw-------");
    /** Admin connections served at once; more wait in the backlog. */
    public static final int MAX_CONNECTIONS = 4;

    private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);
    private static final int BACKLOG = 16;

    private final Path socketPath;
    private final BoundSocket bound;
    private final AFUNIXServerSocket server;
    private final AdminHandler handler;
    private final PeerPolicy policy;
    private final Duration requestTimeout;
    private final Semaphore permits = new Semaphore(MAX_CONNECTIONS);
    private final AtomicLong connectionIds = new AtomicLong();
    private final AtomicBoolean open = new AtomicBoolean(true);
    private final Thread acceptThread;

    private AdminServer(BoundSocket bound, AdminHandler handler, PeerPolicy policy, Duration requestTimeout) {
        this.socketPath = bound.path();
        this.bound = bound;
        this.server = bound.server();
        this.handler = handler;
        this.policy = policy;
        this.requestTimeout = requestTimeout;
        this.acceptThread = Thread.ofPlatform().name("admin-listener").daemon().unstarted(this::acceptLoop);
    }

    /** Binds {@code socketPath} and serves {@code handler}; peers must have the agent's uid or be root. */
    public static AdminServer start(Path socketPath, AdminHandler handler) throws IOException {
        return start(socketPath, handler, null, AdminProtocol.REQUEST_TIMEOUT);
    }

    /**
     * As {@link #start(Path, AdminHandler)}, with the peer policy given ({@code null}: the uid owning
     * the bound socket file, i.e. the agent's) and the request timeout given (tests).
     *
     * @throws SocketInUseException a running agent answers on {@code socketPath}
     * @throws AdminSocketException the path holds something that is not a socket, or binding fails
     */
    static AdminServer start(Path socketPath, AdminHandler handler, PeerPolicy policy, Duration requestTimeout)
            throws IOException {
        Objects.requireNonNull(handler, "handler");
        Path path = socketPath.toAbsolutePath();
        BoundSocket bound;
        try {
            bound = BoundSocket.bind(path, SOCKET_PERMISSIONS, BACKLOG);
        } catch (SocketInUseException e) {
            throw e;
        } catch (IOException e) {
            throw new AdminSocketException("cannot listen on admin.socket-path " + path + ": " + e.getMessage(), e);
        }
        PeerPolicy effective;
        try {
            effective = policy != null ? policy : new PeerPolicy(bound.ownerUid());
        } catch (IOException e) {
            bound.close();
            throw new AdminSocketException("cannot listen on admin.socket-path " + path + ": " + e.getMessage(), e);
        }
        AdminServer admin = new AdminServer(bound, handler, effective, requestTimeout);
        admin.acceptThread.start();
        LOG.info("{} - admin socket listening (permissions {}, uid {} and root only)", path,
                PosixFilePermissions.toString(SOCKET_PERMISSIONS), effective.agentUid());
        return admin;
    }

    public Path socketPath() {
        return socketPath;
    }

    public PeerPolicy policy() {
        return policy;
    }

    private void acceptLoop() {
        AFUNIXSocket socket;
        while ((socket = bound.acceptNext(permits, open::get)) != null) {
            AFUNIXSocket accepted = socket;
            String name = "admin-conn-" + connectionIds.incrementAndGet();
            try {
                Thread.ofPlatform().name(name).daemon()
                        .uncaughtExceptionHandler((t, e) -> LOG.error("{} - uncaught exception", t.getName(), e))
                        .start(() -> {
                            try {
                                serve(accepted);
                            } finally {
                                permits.release();
                            }
                        });
            } catch (RuntimeException | OutOfMemoryError e) {
                permits.release();
                BoundSocket.closeQuietly(accepted);
                LOG.warn("{} - could not start an admin connection thread: {}", socketPath, e.toString());
            }
        }
    }

    /** One connection: check the peer, read one request, answer it, close. */
    private void serve(AFUNIXSocket socket) {
        try (socket; InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
            AFUNIXSocketCredentials credentials = socket.getPeerCredentials();
            long uid = credentials == null ? -1 : credentials.getUid();
            long pid = credentials == null ? -1 : credentials.getPid();
            socket.setSoTimeout((int) Math.max(1, requestTimeout.toMillis()));
            if (!policy.admits(uid)) {
                LOG.warn("{} - refused an admin connection from pid {}: {}", socketPath, pid, policy.refusal(uid));
                discardRequest(in); // read first: closing with unread input would reset the connection
                send(out, AdminProtocol.error(ErrorCode.PERMISSION_DENIED, policy.refusal(uid)));
                return;
            }
            byte[] response;
            try {
                Command command = AdminProtocol.parseRequest(readLine(in));
                response = answer(command, uid, pid);
            } catch (RequestException e) {
                LOG.debug("{} - admin request from pid {} refused: {}", socketPath, pid, e.getMessage());
                response = AdminProtocol.error(e.code(), e.getMessage());
            } catch (SocketTimeoutException e) {
                response = AdminProtocol.error(ErrorCode.TIMEOUT,
                        "no complete request line within " + requestTimeout.toMillis() + " ms");
            }
            send(out, response);
        } catch (IOException e) {
            LOG.debug("{} - admin connection ended: {}", socketPath, e.toString());
        }
    }

    private byte[] answer(Command command, long uid, long pid) {
        try {
            return switch (command) {
                case STATUS -> {
                    LOG.debug("{} - status requested (uid {}, pid {})", socketPath, uid, pid);
                    yield AdminProtocol.ok(command, handler.status());
                }
                case RELOAD -> {
                    LOG.info("{} - reload requested (uid {}, pid {})", socketPath, uid, pid);
                    yield AdminProtocol.ok(command, handler.reload());
                }
            };
        } catch (RuntimeException e) {
            LOG.error("{} - admin command {} failed", socketPath, command.wireName(), e);
            return AdminProtocol.error(ErrorCode.INTERNAL_ERROR, command.wireName() + " failed: " + e);
        }
    }

    /** The request line without its newline; the end of input also ends it. */
    private static byte[] readLine(InputStream in) throws IOException, RequestException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            if (line.size() == AdminProtocol.MAX_REQUEST_BYTES) {
                throw new RequestException(ErrorCode.REQUEST_TOO_LARGE, "request line exceeds the maximum allowed ("
                        + AdminProtocol.MAX_REQUEST_BYTES + " bytes)");
            }
            line.write(b);
        }
        return line.toByteArray();
    }

    private static void discardRequest(InputStream in) {
        try {
            readLine(in);
        } catch (IOException | RequestException ignored) {
            // refused anyway
        }
    }

    private static void send(OutputStream out, byte[] response) throws IOException {
        out.write(response);
        out.flush();
    }

    /** Stops accepting and removes the socket file if it is still ours. Idempotent. */
    @Override
    public void close() {
        if (!open.compareAndSet(true, false)) {
            return;
        }
        try {
            bound.close();
        } catch (IOException e) {
            LOG.warn("{} - closing the admin socket: {}", socketPath, e.toString());
        }
        acceptThread.interrupt();
        try {
            acceptThread.join(Duration.ofSeconds(2));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.info("{} - admin socket closed", socketPath);
    }
}
