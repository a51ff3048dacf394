package io.zentinel.sentinel.lua.supervisor.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.zentinel.sentinel.lua.supervisor.proxy.SocketInUseException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocketChannel;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/** The admin socket with a real junixsocket listener in a temporary directory and a fake handler. */
@SuppressWarnings("try") // servers opened only to be closed
class AdminServerTest {

    @TempDir
    Path dir;

    /** Answers with fixed reports and counts the calls. */
    static final class FakeHandler implements AdminHandler {
        final AtomicInteger statusCalls = new AtomicInteger();
        final AtomicInteger reloadCalls = new AtomicInteger();
        volatile ReloadReport reload = Reports.accepted();
        volatile RuntimeException failure;

        @Override
        public StatusReport status() {
            statusCalls.incrementAndGet();
            if (failure != null) {
                throw failure;
            }
            return Reports.status(Reports.accepted());
        }

        @Override
        public ReloadReport reload() {
            reloadCalls.incrementAndGet();
            return reload;
        }
    }

    private Path socket() {
        return dir.resolve("admin.sock");
    }

    /** Sends {@code request} as it is, then reads until the agent closes the connection. */
    private JsonNode raw(byte[] request, boolean shutdownOutput) throws IOException {
        // a channel, because junixsocket's AFUNIXSocket rejects shutdownOutput() as "not connected"
        try (AFUNIXSocketChannel channel = AFUNIXSocketChannel.open(AFUNIXSocketAddress.of(socket()))) {
            ByteBuffer buffer = ByteBuffer.wrap(request);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            if (shutdownOutput) {
                channel.shutdownOutput();
            }
            String answer = new String(readAll(Channels.newInputStream(channel)), StandardCharsets.UTF_8);
            assertTrue(answer.endsWith("\n") && answer.indexOf('\n') == answer.length() - 1, answer);
            return AdminJson.mapper().readTree(answer);
        }
    }

    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[4096];
        int n;
        try {
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
            }
        } catch (IOException e) {
            if (out.size() == 0) {
                throw e; // a reset after the answer was read is fine
            }
        }
        return out.toByteArray();
    }

    private static void assertError(JsonNode answer, String code, String message) {
        assertFalse(answer.get("ok").asBoolean(), answer.toString());
        assertEquals(code, answer.at("/error/code").asText(), answer.toString());
        assertEquals(message, answer.at("/error/message").asText());
    }

    @Test
    void answersStatus() throws Exception {
        FakeHandler handler = new FakeHandler();
        try (AdminServer server = AdminServer.start(socket(), handler)) {
            StatusReport status = new AdminClient(socket(), Duration.ofSeconds(10)).status();
            assertEquals(Reports.status(Reports.accepted()), status);
            assertEquals(1, handler.statusCalls.get());
            assertEquals(0, handler.reloadCalls.get());
        }
    }

    @Test
    void answersReloadAcceptedAndRejected() throws Exception {
        FakeHandler handler = new FakeHandler();
        try (AdminServer server = AdminServer.start(socket(), handler)) {
            AdminClient client = new AdminClient(socket(), Duration.ofSeconds(10));
            assertEquals(Reports.accepted(), client.reload());
            handler.reload = Reports.rejected();
            ReloadReport rejected = client.reload();
            assertFalse(rejected.accepted());
            assertEquals("broken.lua:3: does not compile: unexpected symbol near 'end'", rejected.reasons().get(0));
            assertEquals(2, handler.reloadCalls.get());
        }
    }

    @Test
    void answersAnUnknownCommandWithAnErrorAndCallsNothing() throws Exception {
        FakeHandler handler = new FakeHandler();
        try (AdminServer server = AdminServer.start(socket(), handler)) {
            JsonNode answer = raw("{\"command\":\"restart\"}\n".getBytes(StandardCharsets.UTF_8), false);
            assertError(answer, "unknown-command", "unknown command \"restart\" (known: status, reload)");
            assertEquals(0, handler.statusCalls.get() + handler.reloadCalls.get());
        }
    }

    @Test
    void answersAMalformedRequestWithAnError() throws Exception {
        FakeHandler handler = new FakeHandler();
        try (AdminServer server = AdminServer.start(socket(), handler)) {
            assertError(raw("{\"cmd\":\"status\"}\n".getBytes(StandardCharsets.UTF_8), false), "malformed-request",
                    "unknown member \"cmd\" in the request (allowed: \"command\")");
            JsonNode notJson = raw("hello\n".getBytes(StandardCharsets.UTF_8), false);
            assertEquals("malformed-request", notJson.at("/error/code").asText());
            assertEquals(0, handler.statusCalls.get() + handler.reloadCalls.get());
        }
    }

    @Test
    void acceptsARequestEndedByShuttingDownOutputInsteadOfANewline() throws Exception {
        try (AdminServer server = AdminServer.start(socket(), new FakeHandler())) {
            JsonNode answer = raw("{\"command\":\"status\"}".getBytes(StandardCharsets.UTF_8), true);
            assertTrue(answer.get("ok").asBoolean(), answer.toString());
            assertEquals(4242, answer.at("/status/agent/pid").asLong());
        }
    }

    @Test
    void refusesARequestLineLongerThanTheLimit() throws Exception {
        FakeHandler handler = new FakeHandler();
        try (AdminServer server = AdminServer.start(socket(), handler)) {
            byte[] request = new byte[AdminProtocol.MAX_REQUEST_BYTES + 100];
            java.util.Arrays.fill(request, (byte) ' ');
            assertError(raw(request, true), "request-too-large", "request line exceeds the maximum allowed (4096 bytes)");
            assertEquals(0, handler.statusCalls.get());
        }
    }

    @Test
    void answersTimeoutWhenNoRequestArrives() throws Exception {
        try (AdminServer server = AdminServer.start(socket(), new FakeHandler(), null, Duration.ofMillis(200))) {
            assertError(raw(new byte[0], false), "timeout", "no complete request line within 200 ms");
        }
    }

    @Test
    void answersInternalErrorWhenTheHandlerFails() throws Exception {
        FakeHandler handler = new FakeHandler();
        handler.failure = new IllegalStateException("boom");
        try (AdminServer server = AdminServer.start(socket(), handler)) {
            AdminErrorException e = assertThrows(AdminErrorException.class,
                    () -> new AdminClient(socket(), Duration.ofSeconds(10)).status());
            assertEquals("internal-error", e.code());
            assertEquals("status failed: java.lang.IllegalStateException: boom", e.getMessage());
        }
    }

    @Test
    void socketIsOwnerOnlyAndRemovedOnClose() throws Exception {
        AdminServer server = AdminServer.start(socket(), new FakeHandler());
        try {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket())));
            long uid = ((Number) Files.getAttribute(socket(), "unix:uid")).longValue();
            assertEquals(uid, server.policy().agentUid());
        } finally {
            server.close();
        }
        assertFalse(Files.exists(socket(), LinkOption.NOFOLLOW_LINKS));
        server.close(); // idempotent
    }

    @Test
    void replacesAStaleSocketFile() throws Exception {
        try (AFUNIXServerSocket stale = AFUNIXServerSocket.newInstance()) {
            stale.setDeleteOnClose(false);
            stale.bind(AFUNIXSocketAddress.of(socket()));
        }
        assertTrue(Files.exists(socket(), LinkOption.NOFOLLOW_LINKS), "stale file left behind");
        try (AdminServer server = AdminServer.start(socket(), new FakeHandler())) {
            assertEquals(4242, new AdminClient(socket(), Duration.ofSeconds(10)).status().agent().pid());
        }
    }

    @Test
    void refusesToTakeOverALiveAgentsSocket() throws Exception {
        try (AdminServer first = AdminServer.start(socket(), new FakeHandler())) {
            SocketInUseException e = assertThrows(SocketInUseException.class,
                    () -> AdminServer.start(socket(), new FakeHandler()));
            assertEquals("socket " + socket() + " is in use by a running agent", e.getMessage());
            assertEquals(4242, new AdminClient(socket(), Duration.ofSeconds(10)).status().agent().pid(),
                    "the first agent still answers");
        }
    }

    @Test
    void neverDeletesSomethingThatIsNotASocket() throws Exception {
        Files.writeString(socket(), "precious");
        AdminSocketException e = assertThrows(AdminSocketException.class,
                () -> AdminServer.start(socket(), new FakeHandler()));
        assertEquals("cannot listen on admin.socket-path " + socket() + ": the path exists and is not a socket",
                e.getMessage());
        assertEquals("precious", Files.readString(socket()));
    }

    @Test
    void clientReportsAnAgentThatIsNotRunning() throws Exception {
        AgentUnavailableException missing = assertThrows(AgentUnavailableException.class,
                () -> new AdminClient(socket(), Duration.ofSeconds(5)).status());
        assertEquals("no agent is running with admin socket " + socket()
                + " (the file does not exist; see admin.socket-path)", missing.getMessage());
        try (AFUNIXServerSocket stale = AFUNIXServerSocket.newInstance()) {
            stale.setDeleteOnClose(false);
            stale.bind(AFUNIXSocketAddress.of(socket()));
        }
        AgentUnavailableException refused = assertThrows(AgentUnavailableException.class,
                () -> new AdminClient(socket(), Duration.ofSeconds(5)).status());
        assertTrue(refused.getMessage().startsWith("no agent answers on admin socket " + socket() + ": "),
                refused.getMessage());
    }

    /**
     * A real connection from another uid: as root, run a perl client as {@code nobody} through
     * {@code setpriv}. The socket's 0600 mode would stop it at connect(2), so the test loosens the
     * mode to reach the credential check behind it. Skipped when not root or without the tools;
     * {@link PeerPolicyTest} covers the decision with fake credentials either way.
     */
    @Test
    void refusesAConnectionFromAnotherUid() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root to connect as another uid");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")) && Files.isExecutable(Path.of("/usr/bin/perl")),
                "needs setpriv and perl");
        FakeHandler handler = new FakeHandler();
        try (AdminServer server = AdminServer.start(socket(), handler)) {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
            Files.setPosixFilePermissions(socket(), PosixFilePermissions.fromString("rw-rw-rw-"));
            String perl = "use Socket; socket(my $s, PF_UNIX, SOCK_STREAM, 0) or die \"socket: $!\";"
                    + " connect($s, pack_sockaddr_un($ARGV[0])) or die \"connect: $!\";"
                    + " syswrite($s, qq({\"command\":\"reload\"}\\n)); my $all = '';"
                    + " while (sysread($s, my $chunk, 4096)) { $all .= $chunk } print $all;";
            Process process = new ProcessBuilder("/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
                    "--clear-groups", "/usr/bin/perl", "-e", perl, socket().toString())
                    .redirectErrorStream(true).start();
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), "perl client finished");
            String answer = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, process.exitValue(), answer);
            assertError(AdminJson.mapper().readTree(answer), "permission-denied",
                    "uid 65534 may not use this socket; only uid 0 (the agent's) and root may");
            assertEquals(0, handler.reloadCalls.get(), "the refused peer's reload never ran");
        }
    }
}
