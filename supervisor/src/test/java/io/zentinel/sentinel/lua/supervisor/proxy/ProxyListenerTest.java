package io.zentinel.sentinel.lua.supervisor.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static io.zentinel.sentinel.lua.supervisor.proxy.ProxyConnectionTest.CAPS;
import static io.zentinel.sentinel.lua.supervisor.proxy.ProxyConnectionTest.WAIT;
import static io.zentinel.sentinel.lua.supervisor.proxy.ProxyConnectionTest.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Socket file policy, connection limit and shutdown of {@link ProxyListener}, on a real Unix socket. */
class ProxyListenerTest {
    @TempDir
    Path dir;

    private static ProxyConnection.Settings allowAll() {
        return new ProxyConnection.Settings(CAPS, e -> AgentResponse.allow(e.correlationId()),
                ProxyConnectionTest::fallback);
    }

    private static boolean isSocket(Path path) throws IOException {
        int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        return (mode & 0170000) == 0140000;
    }

    private static void assertServes(Path socket) throws Exception {
        try (FakeProxy proxy = FakeProxy.connect(socket)) {
            assertTrue(proxy.handshake().get("success").booleanValue());
            JsonNode r = proxy.request(FakeProxy.requestHeaders("alive")).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            assertEquals("alive", StrictJson.checkAgentResponse(r));
        }
    }

    /** A socket file nobody listens on any more, as a killed agent leaves it. */
    private static void makeStaleSocket(Path path) throws IOException {
        AFUNIXServerSocket dead = AFUNIXServerSocket.newInstance();
        dead.bind(AFUNIXSocketAddress.of(path));
        dead.setDeleteOnClose(false);
        dead.close();
        assertTrue(isSocket(path));
    }

    @Test
    void createsTheSocketWithPermissions0660ByDefault() throws Exception {
        Path socket = dir.resolve("agent.sock");
        try (ProxyListener listener = ProxyListener.start(socket, allowAll())) {
            assertTrue(isSocket(socket));
            assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
            assertEquals(socket.toAbsolutePath(), listener.socketPath());
            assertServes(socket);
        }
    }

    @Test
    void appliesConfiguredPermissions() throws Exception {
        Path socket = dir.resolve("agent.sock");
        try (ProxyListener listener = ProxyListener.start(socket, PosixFilePermissions.fromString("rw-------"), 8, allowAll())) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(listener.socketPath())));
        }
    }

    @Test
    void removesTheSocketFileOnClose() throws Exception {
        Path socket = dir.resolve("agent.sock");
        ProxyListener listener = ProxyListener.start(socket, allowAll());
        assertTrue(Files.exists(socket, LinkOption.NOFOLLOW_LINKS));

        listener.close();

        assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS));
        assertThrows(IOException.class, () -> FakeProxy.connect(socket));
        listener.close(); // idempotent
    }

    @Test
    void replacesAStaleSocketFile() throws Exception {
        Path socket = dir.resolve("agent.sock");
        makeStaleSocket(socket);
        assertThrows(IOException.class, () -> FakeProxy.connect(socket), "nobody listens on the stale file");

        try (ProxyListener listener = ProxyListener.start(socket, allowAll())) {
            assertTrue(isSocket(socket));
            assertServes(listener.socketPath());
        }
    }

    @Test
    void doesNotStealTheSocketOfARunningAgent() throws Exception {
        Path socket = dir.resolve("agent.sock");
        try (ProxyListener running = ProxyListener.start(socket, allowAll())) {
            Object key = fileKey(socket);

            SocketInUseException e = assertThrows(SocketInUseException.class,
                    () -> ProxyListener.start(socket, allowAll()));

            assertEquals("socket " + socket.toAbsolutePath() + " is in use by a running agent", e.getMessage());
            assertEquals(socket.toAbsolutePath(), e.socketPath());
            assertEquals(key, fileKey(socket), "the running agent's file is untouched");
            assertServes(socket);
            waitFor(() -> running.openConnections() == 0); // the probe connection came and went
        }
    }

    @Test
    void refusesToReplaceSomethingThatIsNotASocket() throws Exception {
        Path file = dir.resolve("agent.sock");
        Files.writeString(file, "precious");
        Path link = dir.resolve("link.sock");
        Path stale = dir.resolve("stale.sock");
        makeStaleSocket(stale);
        Files.createSymbolicLink(link, stale);

        IOException e = assertThrows(IOException.class, () -> ProxyListener.start(file, allowAll()));
        assertEquals("cannot bind " + file.toAbsolutePath() + ": the path exists and is not a socket", e.getMessage());
        assertEquals("precious", Files.readString(file));

        assertThrows(IOException.class, () -> ProxyListener.start(link, allowAll()));
        assertTrue(Files.isSymbolicLink(link), "a symlink is never followed nor deleted");
        assertTrue(isSocket(stale));
    }

    @Test
    void leavesASuccessorsSocketFileInPlace() throws Exception {
        Path socket = dir.resolve("agent.sock");
        ProxyListener old = ProxyListener.start(socket, allowAll());
        Files.delete(socket); // e.g. an operator removed it and a new agent bound the path
        try (AFUNIXServerSocket successor = AFUNIXServerSocket.newInstance()) {
            successor.bind(AFUNIXSocketAddress.of(socket));

            old.close();

            assertTrue(isSocket(socket), "the successor's socket survives the old listener's close");
        }
    }

    @Test
    void drainWaitsForInFlightEventsThenCloseEndsConnections() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Path socket = dir.resolve("agent.sock");
        ProxyListener listener = ProxyListener.start(socket, new ProxyConnection.Settings(CAPS, e -> {
            try {
                release.await();
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            return AgentResponse.allow(e.correlationId());
        }, ProxyConnectionTest::fallback));
        try (FakeProxy proxy = FakeProxy.connect(socket)) {
            proxy.handshake();
            List<CompletableFuture<JsonNode>> answers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                answers.add(proxy.request(FakeProxy.requestHeaders("drain-" + i)));
            }
            waitFor(() -> listener.inFlight() == 3);

            listener.stopAccepting();

            assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS), "socket file removed when accepting stops");
            assertThrows(IOException.class, () -> FakeProxy.connect(socket));
            assertFalse(listener.awaitDrained(Duration.ofMillis(200)), "still three in flight");
            CompletableFuture.runAsync(() -> {
                sleep(200);
                release.countDown();
            });
            assertTrue(listener.awaitDrained(WAIT));
            for (int i = 0; i < 3; i++) {
                assertEquals("drain-" + i, StrictJson.checkAgentResponse(answers.get(i).get(WAIT.toMillis(), TimeUnit.MILLISECONDS)));
            }
            assertFalse(proxy.closedByAgent().isDone(), "connections stay open until close()");

            listener.close();

            proxy.closedByAgent().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            assertEquals(0, listener.openConnections());
            assertEquals(0, listener.stats().snapshot().connectionsOpen());
            assertEquals(List.of(), proxy.violations());
        }
    }

    @Test
    void acceptsNoMoreThanMaxConnectionsAtOnce() throws Exception {
        Path socket = dir.resolve("agent.sock");
        try (ProxyListener listener = ProxyListener.start(socket, ProxyListener.DEFAULT_SOCKET_PERMISSIONS, 1, allowAll())) {
            FakeProxy first = FakeProxy.connect(socket);
            assertTrue(first.handshake().get("success").booleanValue());
            try (FakeProxy second = FakeProxy.connect(socket)) { // queued in the backlog
                CompletableFuture<JsonNode> secondHandshake = CompletableFuture.supplyAsync(() -> {
                    try {
                        return second.handshake();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
                assertThrows(TimeoutException.class, () -> secondHandshake.get(300, TimeUnit.MILLISECONDS));
                assertEquals(1, listener.openConnections());

                first.close();

                assertTrue(secondHandshake.get(WAIT.toMillis(), TimeUnit.MILLISECONDS).get("success").booleanValue());
                assertEquals(2, listener.stats().snapshot().connectionsAccepted());
            }
        }
    }

    /**
     * Regression for kohlschutter/junixsocket#172: with connection readers on virtual threads, only
     * {@code availableProcessors()} idle connections could wait in a read at once and the next
     * connection's handshake was never read (the proxy alone opens four).
     */
    @Test
    void junixsocketIssue172MoreIdleConnectionsThanCpusAreAllServed() throws Exception {
        Path socket = dir.resolve("agent.sock");
        int connections = Runtime.getRuntime().availableProcessors() + 4;
        List<FakeProxy> proxies = new ArrayList<>();
        try (ProxyListener listener = ProxyListener.start(socket, allowAll())) {
            for (int i = 0; i < connections; i++) {
                FakeProxy proxy = FakeProxy.connect(socket);
                proxies.add(proxy);
                CompletableFuture<JsonNode> handshake = CompletableFuture.supplyAsync(() -> {
                    try {
                        return proxy.handshake();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
                assertTrue(handshake.get(WAIT.toMillis(), TimeUnit.MILLISECONDS).get("success").booleanValue(),
                        "handshake of connection " + (i + 1) + " of " + connections);
            }
            for (int i = connections - 1; i >= 0; i--) {
                JsonNode r = proxies.get(i).request(FakeProxy.requestHeaders("conn-" + i))
                        .get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                assertEquals("conn-" + i, StrictJson.checkAgentResponse(r));
            }
            assertEquals(connections, listener.openConnections());
        } finally {
            for (FakeProxy p : proxies) {
                p.close();
            }
        }
    }

    @Test
    void runsANamedListenerThreadUntilClosed() throws Exception {
        ProxyListener listener = ProxyListener.start(dir.resolve("agent.sock"), allowAll());
        assertTrue(threadNamed("proxy-listener"));
        try (FakeProxy proxy = FakeProxy.connect(listener.socketPath())) {
            proxy.handshake();
            assertTrue(threadNamed("proxy-conn-1"));
            assertTrue(threadNamed("proxy-conn-1-writer"));
        }
        listener.close();
        waitFor(() -> !threadNamed("proxy-listener") && !threadNamed("proxy-conn-1"));
    }

    @Test
    void rejectsAZeroConnectionLimit() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ProxyListener.start(
                dir.resolve("agent.sock"), ProxyListener.DEFAULT_SOCKET_PERMISSIONS, 0, allowAll()));
        assertEquals("maxConnections must be >= 1 (was 0)", e.getMessage());
    }

    // ---- helpers ----------------------------------------------------------------------------------

    private static Object fileKey(Path path) throws IOException {
        return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
    }

    private static boolean threadNamed(String name) {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals(name) && t.isAlive());
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
