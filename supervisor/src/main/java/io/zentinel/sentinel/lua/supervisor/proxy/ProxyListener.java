package io.zentinel.sentinel.lua.supervisor.proxy;

import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Listens on the proxy's Unix socket (agent protocol v2) with junixsocket, in Helidon's style:
 * one named platform thread {@code proxy-listener} takes a connection permit, then accepts, then
 * starts one thread {@code proxy-conn-<n>} per connection running a {@link ProxyConnection}.
 * Connection threads are platform threads (at most {@code maxConnections}, 64 by default, each
 * with a writer thread), because junixsocket 2.11.1 cannot serve more blocked virtual-thread
 * reads than there are CPUs (see {@link FrameOutbox}); every event still runs on a virtual thread.
 *
 * <p><b>Socket file policy.</b> At start, if something exists at the path:
 * <ul>
 *   <li>not a socket (a regular file, a directory, a symlink …): refuse with an IOException, never delete it;</li>
 *   <li>a socket that accepts a connection: a live agent owns it; fail with {@link SocketInUseException}
 *       (the CLI maps it to exit 69), never take it over;</li>
 *   <li>a socket that refuses connections: stale; delete it and bind.</li>
 * </ul>
 * The bind itself does not reuse the address (junixsocket's default {@code reuseAddress=true} would
 * silently replace another server's socket), so a race with a second agent starting at the same time
 * also ends in {@link SocketInUseException}. After binding, the file's permissions are set to the
 * configured ones, {@link #DEFAULT_SOCKET_PERMISSIONS} ({@code 0660}: the agent's user and group may
 * connect) unless told otherwise. Between {@code bind} and {@code chmod} the file briefly has the
 * process umask's permissions; keep the socket in a directory only the agent and proxy can enter
 * if that window matters. On {@link #stopAccepting()} the file is deleted, but only if it is still
 * the one this listener created (same file key), so a successor's socket is never removed.
 *
 * <p><b>Shutdown.</b> Graceful: {@link #stopAccepting()}, then {@link #awaitDrained(Duration)}, then
 * {@link #close()}. Existing connections keep reading and answering until closed.
 *
 * <p>All listener and connection threads are daemons: whoever starts the listener keeps the JVM alive.
 */
public final class ProxyListener implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProxyListener.class);

    /** {@code rw-rw----}: the agent's user and group (the proxy's, typically) may connect. */
    public static final Set<PosixFilePermission> DEFAULT_SOCKET_PERMISSIONS = PosixFilePermissions.fromString("rw-rw----");
    /** The proxy opens four connections per agent; 64 leaves room for restarts and several proxies. */
    public static final int DEFAULT_MAX_CONNECTIONS = 64;

    private static final int BACKLOG = 64;

    private final Path socketPath;
    private final BoundSocket bound;
    private final AFUNIXServerSocket server;
    private final ProxyCodec codec = new ProxyCodec();
    private final ProxyConnection.Settings settings;
    private final ProxyStats stats = new ProxyStats();
    private final Semaphore permits;
    private final Map<ProxyConnection, Thread> connections = new ConcurrentHashMap<>();
    private final AtomicLong connectionIds = new AtomicLong();
    private final AtomicBoolean accepting = new AtomicBoolean(true);
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread acceptThread;

    private ProxyListener(BoundSocket bound, int maxConnections, ProxyConnection.Settings settings) {
        this.socketPath = bound.path();
        this.bound = bound;
        this.server = bound.server();
        this.permits = new Semaphore(maxConnections);
        this.settings = settings;
        this.acceptThread = Thread.ofPlatform().name("proxy-listener").daemon(true).unstarted(this::acceptLoop);
    }

    /** Binds with {@link #DEFAULT_SOCKET_PERMISSIONS} and {@link #DEFAULT_MAX_CONNECTIONS}, and starts accepting. */
    public static ProxyListener start(Path socketPath, ProxyConnection.Settings settings) throws IOException {
        return start(socketPath, DEFAULT_SOCKET_PERMISSIONS, DEFAULT_MAX_CONNECTIONS, settings);
    }

    /**
     * Binds the socket (see the class comment for the stale-file policy) and starts accepting.
     *
     * @throws SocketInUseException if a running agent answers on {@code socketPath}
     * @throws IOException          if the path holds something that is not a socket, or binding fails
     */
    public static ProxyListener start(Path socketPath, Set<PosixFilePermission> socketPermissions, int maxConnections,
                                      ProxyConnection.Settings settings) throws IOException {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(socketPermissions, "socketPermissions");
        if (maxConnections < 1) {
            throw new IllegalArgumentException("maxConnections must be >= 1 (was " + maxConnections + ")");
        }
        BoundSocket bound;
        try {
            bound = BoundSocket.bind(socketPath, socketPermissions, BACKLOG);
        } catch (SocketInUseException e) {
            throw e;
        } catch (IOException e) {
            throw new IOException("cannot bind " + socketPath.toAbsolutePath() + ": " + e.getMessage(), e);
        }
        ProxyListener listener = new ProxyListener(bound, maxConnections, settings);
        listener.acceptThread.start();
        log.info("{} - listening (permissions {}, at most {} connections)",
                bound.path(), PosixFilePermissions.toString(socketPermissions), maxConnections);
        return listener;
    }

    private void acceptLoop() {
        AFUNIXSocket socket;
        while ((socket = bound.acceptNext(permits, accepting::get)) != null) {
            startConnection(socket);
        }
        log.debug("{} - accept loop ended", socketPath);
    }

    private void startConnection(AFUNIXSocket socket) {
        ProxyConnection connection = new ProxyConnection(connectionIds.incrementAndGet(), socket, codec, settings, stats);
        stats.connectionAccepted();
        // a platform thread, not a virtual one: see FrameOutbox for junixsocket's limitation
        Thread thread = Thread.ofPlatform().name(connection.name()).daemon(true)
                .uncaughtExceptionHandler((t, e) -> log.error("{} - uncaught exception", t.getName(), e))
                .unstarted(() -> {
                    try {
                        connection.run();
                    } finally {
                        connections.remove(connection);
                        permits.release();
                    }
                });
        connections.put(connection, thread);
        try {
            thread.start();
        } catch (RuntimeException | OutOfMemoryError e) {
            connections.remove(connection);
            permits.release();
            BoundSocket.closeQuietly(socket);
            log.warn("{} - could not start a connection thread: {}", socketPath, e.toString());
        }
    }

    public Path socketPath() {
        return socketPath;
    }

    public ProxyStats stats() {
        return stats;
    }

    /** Connections currently open. */
    /**
     * Sends an agent-initiated frame on every connection whose handshake is done (see
     * {@link ProxyConnection#sendReport}); returns on how many it was queued.
     */
    public int broadcast(int type, byte[] payload) {
        int sent = 0;
        for (ProxyConnection c : connections.keySet()) {
            if (c.sendReport(type, payload)) {
                sent++;
            }
        }
        return sent;
    }

    public int openConnections() {
        return connections.size();
    }

    /** Events received on any connection and not answered yet. */
    public int inFlight() {
        int sum = 0;
        for (ProxyConnection c : connections.keySet()) {
            sum += c.inFlight();
        }
        return sum;
    }

    /**
     * Stops accepting: closes the server socket and deletes the socket file (if it is still ours).
     * Open connections keep working. Idempotent.
     */
    public void stopAccepting() throws IOException {
        if (!accepting.compareAndSet(true, false)) {
            return;
        }
        try {
            bound.close();
        } finally {
            acceptThread.interrupt();
            try {
                acceptThread.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            log.info("{} - stopped accepting connections", socketPath);
        }
    }

    /**
     * Waits until no event is in flight on any connection (each answer written or its connection
     * gone). Connections keep reading, so under steady traffic this can run into the timeout.
     *
     * @return {@code true} when drained, {@code false} when the time ran out first
     */
    public boolean awaitDrained(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (ProxyConnection c : connections.keySet()) {
                long remaining = deadline - System.nanoTime();
                if (!c.awaitIdle(Duration.ofNanos(Math.max(0, remaining)))) {
                    return false;
                }
            }
            if (inFlight() == 0) {
                return true;
            }
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
        }
    }

    /**
     * Stops accepting (see {@link #stopAccepting()}) and closes every connection; answers still
     * being produced are dropped. Waits briefly for the connection threads to end. Idempotent.
     */
    @Override
    public void close() throws IOException {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            stopAccepting();
        } finally {
            Map<ProxyConnection, Thread> open = Map.copyOf(connections);
            open.keySet().forEach(ProxyConnection::close);
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            for (Thread t : open.values()) {
                try {
                    long remaining = deadline - System.nanoTime();
                    if (remaining > 0) {
                        t.join(Duration.ofNanos(remaining));
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            log.info("{} - closed ({} connection(s) closed)", socketPath, open.size());
        }
    }
}
