package io.zentinel.sentinel.lua.supervisor.proxy;

import java.io.IOException;
import java.net.ConnectException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.function.BooleanSupplier;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AddressAlreadyInUseSocketException;
import org.newsclub.net.unix.ConnectionRefusedSocketException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Unix server socket bound at a path under the agent's socket-file policy, shared by the
 * proxy socket and the admin socket:
 * <ul>
 * <li>a path that holds something other than a socket (a regular file, a symlink) is never
 *     touched: binding fails;</li>
 * <li>an existing socket that answers belongs to a running agent: {@link SocketInUseException};
 *     one that refuses connections is stale and is replaced;</li>
 * <li>binding never reuses the address (junixsocket's default would let a second server take
 *     over a live one);</li>
 * <li>on close the file is deleted only while it is still the one bound here, so a successor's
 *     socket is left alone.</li>
 * </ul>
 * Between bind and chmod the file briefly has the umask's permissions: keep its directory
 * restricted.
 */
public final class BoundSocket {
    private static final Logger LOG = LoggerFactory.getLogger(BoundSocket.class);
    private static final int PROBE_TIMEOUT_MILLIS = 1000;
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    private final Path path;
    private final AFUNIXServerSocket server;
    private final FileIdentity identity;

    private BoundSocket(Path path, AFUNIXServerSocket server, FileIdentity identity) {
        this.path = path;
        this.server = server;
        this.identity = identity;
    }

    /**
     * Binds {@code socketPath} with {@code permissions}.
     *
     * @throws SocketInUseException a running agent answers on the path
     * @throws IOException          the path holds something that is not a socket, or binding fails;
     *                              the message does not repeat the path
     */
    public static BoundSocket bind(Path socketPath, Set<PosixFilePermission> permissions, int backlog)
            throws IOException {
        Path path = socketPath.toAbsolutePath();
        AFUNIXSocketAddress address = AFUNIXSocketAddress.of(path);
        removeStale(path, address);
        AFUNIXServerSocket server = AFUNIXServerSocket.newInstance();
        boolean bound = false;
        try {
            server.setReuseAddress(false);
            server.setDeleteOnClose(false); // deleted by us, and only while it is still our file
            try {
                server.bind(address, backlog);
            } catch (AddressAlreadyInUseSocketException e) {
                throw new SocketInUseException(path);
            }
            bound = true;
            Files.setPosixFilePermissions(path, permissions);
            return new BoundSocket(path, server, FileIdentity.of(path));
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

    public Path path() {
        return path;
    }

    public AFUNIXServerSocket server() {
        return server;
    }

    /**
     * The next connection, after taking one of {@code permits} for it (the caller releases it
     * when the connection ends). Accept errors are logged and retried after 100 ms.
     *
     * @return the connection, or {@code null} once {@code open} turns false or the thread is
     *         interrupted (no permit is then held)
     */
    public AFUNIXSocket acceptNext(Semaphore permits, BooleanSupplier open) {
        while (open.getAsBoolean()) {
            try {
                permits.acquire();
            } catch (InterruptedException e) {
                return null;
            }
            AFUNIXSocket socket;
            try {
                socket = server.accept();
            } catch (IOException e) {
                permits.release();
                if (!open.getAsBoolean()) {
                    return null;
                }
                LOG.warn("{} - accept failed, retrying in 100 ms: {}", path, e.toString());
                try {
                    Thread.sleep(100);
                } catch (InterruptedException interrupted) {
                    return null;
                }
                continue;
            }
            if (socket != null && open.getAsBoolean()) {
                return socket;
            }
            closeQuietly(socket);
            permits.release();
        }
        return null;
    }

    /** Closes an accepted connection that will not be served. */
    public static void closeQuietly(AFUNIXSocket socket) {
        if (socket == null) {
            return;
        }
        try {
            socket.close();
        } catch (IOException e) {
            LOG.debug("closing an unserved connection: {}", e.toString());
        }
    }

    /** The uid owning the socket file: the agent's own uid, since the agent created it. */
    public long ownerUid() throws IOException {
        return ((Number) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS)).longValue();
    }

    /** Closes the server socket, then deletes the socket file if it is still the one bound here. */
    public void close() throws IOException {
        try {
            server.close();
        } finally {
            deleteFileIfOurs();
        }
    }

    private void deleteFileIfOurs() throws IOException {
        try {
            if (!identity.equals(FileIdentity.of(path))) {
                LOG.warn("{} - the socket file was replaced by someone else; leaving it in place", path);
                return;
            }
            Files.deleteIfExists(path);
        } catch (NoSuchFileException e) {
            LOG.debug("{} - socket file already gone", path);
        }
    }

    private static void removeStale(Path path, AFUNIXSocketAddress address) throws IOException {
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return;
        }
        if (!isSocket(path, attrs)) {
            throw new IOException("the path exists and is not a socket");
        }
        try (AFUNIXSocket probe = AFUNIXSocket.newInstance()) {
            probe.connect(address, PROBE_TIMEOUT_MILLIS);
            throw new SocketInUseException(path);
        } catch (ConnectionRefusedSocketException | ConnectException e) {
            LOG.debug("{} - nobody listens on the existing socket file: {}", path, e.getMessage());
        } catch (SocketInUseException e) {
            throw e;
        } catch (IOException e) {
            throw new IOException("cannot tell whether it is in use: " + e.getMessage(), e);
        }
        Files.deleteIfExists(path);
        LOG.info("{} - removed a stale socket file", path);
    }

    private static boolean isSocket(Path path, BasicFileAttributes attrs) throws IOException {
        try {
            int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            return (mode & S_IFMT) == S_IFSOCK;
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            return attrs.isOther(); // no "unix" view: sockets are "other" files
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
}
