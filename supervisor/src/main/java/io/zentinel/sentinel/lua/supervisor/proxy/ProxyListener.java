package io.zentinel.sentinel.lua.supervisor.proxy;

import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AddressAlreadyInUseSocketException;
import org.newsclub.net.unix.ConnectionRefusedSocketException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.ConnectException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
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
    private static final int PROBE_TIMEOUT_MILLIS = 1000;
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    private final Path socketPath;
    private final AFUNIXServerSocket server;
    private final FileIdentity socketFile;
    private final ProxyCodec codec = new ProxyCodec();
    private final ProxyConnection.Settings settings;
    private final ProxyStats stats = new ProxyStats();
    private final Semaphore permits;
    private final Map<ProxyConnection, Thread> connections = new ConcurrentHashMap<>();
    private final AtomicLong connectionIds = new AtomicLong();
    private final AtomicBoolean accepting = new AtomicBoolean(true);
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread acceptThread;

    private ProxyListener(Path socketPath, AFUNIXServerSocket server, FileIdentity socketFile, int maxConnections,
                          ProxyConnection.Settings settings) {
        this.socketPath = socketPath;
        this.server = server;
        this.socketFile = socketFile;
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
        Path path = socketPath.toAbsolutePath();
        AFUNIXSocketAddress address = AFUNIXSocketAddress.of(path);
        removeStaleSocket(path, address);
        AFUNIXServerSocket server = AFUNIXServerSocket.newInstance();
        boolean bound = false;
        try {
            server.setReuseAddress(false);
            server.setDeleteOnClose(false); // deleted by us, and only while it is still our file
            try {
                server.bind(address, BACKLOG);
            } catch (AddressAlreadyInUseSocketException e) {
                throw new SocketInUseException(path);
            }
            bound = true;
            Files.setPosixFilePermissions(path, socketPermissions);
            ProxyListener listener = new ProxyListener(path, server, FileIdentity.of(path), maxConnections, settings);
            listener.acceptThread.start();
            log.info("{} - listening (permissions {}, at most {} connections)",
                    path, PosixFilePermissions.toString(socketPermissions), maxConnections);
            return listener;
        } catch (IOException | RuntimeException e) {
            try {
                server.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            if (bound) {
                Files.deleteIfExists(path);
            }
            throw e;
        }
    }

    private static void removeStaleSocket(Path path, AFUNIXSocketAddress address) throws IOException {
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return;
        }
        if (!isSocket(path, attrs)) {
            throw new IOException("cannot bind " + path + ": the path exists and is not a socket");
        }
        try (AFUNIXSocket probe = AFUNIXSocket.newInstance()) {
            probe.connect(address, PROBE_TIMEOUT_MILLIS);
            throw new SocketInUseException(path);
        } catch (ConnectionRefusedSocketException | ConnectException e) {
            log.debug("{} - nobody listens on the existing socket file: {}", path, e.getMessage());
        } catch (SocketInUseException e) {
            throw e;
        } catch (IOException e) {
            throw new IOException("cannot tell whether socket " + path + " is in use: " + e.getMessage(), e);
        }
        Files.deleteIfExists(path);
        log.info("{} - removed a stale socket file", path);
    }

    private static boolean isSocket(Path path, BasicFileAttributes attrs) throws IOException {
        try {
            int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            return (mode & S_IFMT) == S_IFSOCK;
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            return attrs.isOther(); // no "unix" view: sockets are "other" files
        }
    }

    private void acceptLoop() {
        while (accepting.get()) {
            try {
                permits.acquire();
            } catch (InterruptedException e) {
                break;
            }
            AFUNIXSocket socket;
            try {
                socket = server.accept();
            } catch (IOException e) {
                permits.release();
                if (!accepting.get()) {
                    break;
                }
                log.warn("{} - accept failed, retrying in 100 ms: {}", socketPath, e.toString());
                if (!pause()) {
                    break;
                }
                continue;
            }
            if (socket == null || !accepting.get()) {
                closeQuietly(socket);
                permits.release();
                continue;
            }
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
            closeQuietly(socket);
            log.warn("{} - could not start a connection thread: {}", socketPath, e.toString());
        }
    }

    private static boolean pause() {
        try {
            Thread.sleep(100);
            return true;
        } catch (InterruptedException e) {
            return false;
        }
    }

    private static void closeQuietly(AFUNIXSocket socket) {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // nothing to do: the connection was never used
            }
        }
    }

    public Path socketPath() {
        return socketPath;
    }

    public ProxyStats stats() {
        return stats;
    }

    /** Connections currently open. */
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
            server.close();
        } finally {
            acceptThread.interrupt();
            deleteSocketFile();
            try {
                acceptThread.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            log.info("{} - stopped accepting connections", socketPath);
        }
    }

    private void deleteSocketFile() throws IOException {
        try {
            if (!socketFile.equals(FileIdentity.of(socketPath))) {
                log.warn("{} - the socket file was replaced by someone else; leaving it in place", socketPath);
                return;
            }
            Files.deleteIfExists(socketPath);
        } catch (NoSuchFileException e) {
            log.debug("{} - socket file already gone", socketPath);
        }
    }

    /**
     * Which file the path names: inode (file key) plus timestamps, because a new file may reuse
     * the inode number of a deleted one.
     */
    private record FileIdentity(Object key, FileTime created, FileTime modified) {
        static FileIdentity of(Path path) throws IOException {
            BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return new FileIdentity(a.fileKey(), a.creationTime(), a.lastModifiedTime());
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
