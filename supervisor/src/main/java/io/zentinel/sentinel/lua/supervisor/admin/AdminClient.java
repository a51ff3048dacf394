package io.zentinel.sentinel.lua.supervisor.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.zentinel.sentinel.lua.supervisor.admin.AdminProtocol.Command;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.ConnectionRefusedSocketException;

/**
 * The CLI's side of the {@link AdminProtocol}: one connection per command. Not thread-safe
 * (nothing to share); create one per command.
 */
public final class AdminClient {
    private static final int CONNECT_TIMEOUT_MILLIS = 2000;

    private final Path socketPath;
    private final Duration timeout;

    /**
     * @param timeout how long to wait for the answer; a reload waits for new worker JVMs to start
     */
    public AdminClient(Path socketPath, Duration timeout) {
        this.socketPath = Objects.requireNonNull(socketPath, "socketPath");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
    }

    /**
     * Sends {@code command} and returns the body of the successful answer: the member named after
     * the command ({@code status} or {@code reload}).
     *
     * @throws AgentUnavailableException no agent answers on the socket, or it did not answer in time
     * @throws AdminErrorException       the agent answered {@code ok:false}, or something unreadable
     */
    public JsonNode call(Command command) throws IOException {
        byte[] line;
        try (AFUNIXSocket socket = connect()) {
            socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis())));
            OutputStream out = socket.getOutputStream();
            out.write(AdminProtocol.request(command));
            out.flush();
            line = readLine(socket.getInputStream());
        } catch (SocketTimeoutException e) {
            throw new AgentUnavailableException("the agent on " + socketPath + " did not answer within "
                    + timeout.toSeconds() + "s", e);
        }
        JsonNode response;
        try {
            response = AdminJson.mapper().readTree(new String(line, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new AdminErrorException(AdminErrorException.BAD_RESPONSE, "the agent's answer is not JSON: "
                    + e.getOriginalMessage());
        }
        if (response == null || !response.isObject() || !response.path("ok").isBoolean()) {
            throw new AdminErrorException(AdminErrorException.BAD_RESPONSE, "the agent's answer has no \"ok\" member");
        }
        if (!response.get("ok").asBoolean()) {
            JsonNode error = response.path("error");
            throw new AdminErrorException(error.path("code").asText("unknown"),
                    error.path("message").asText("the agent refused the command"));
        }
        JsonNode body = response.get(command.wireName());
        if (body == null || !body.isObject()) {
            throw new AdminErrorException(AdminErrorException.BAD_RESPONSE, "the agent's answer has no \""
                    + command.wireName() + "\" member");
        }
        return body;
    }

    /** {@link #call} for {@code status}, mapped to a {@link StatusReport}. */
    public StatusReport status() throws IOException {
        return convert(call(Command.STATUS), StatusReport.class);
    }

    /** {@link #call} for {@code reload}, mapped to a {@link ReloadReport}. */
    public ReloadReport reload() throws IOException {
        return convert(call(Command.RELOAD), ReloadReport.class);
    }

    /** Maps an answer's body onto one of the protocol's records. */
    public static <T> T convert(JsonNode body, Class<T> type) throws AdminErrorException {
        try {
            return AdminJson.mapper().treeToValue(body, type);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new AdminErrorException(AdminErrorException.BAD_RESPONSE, "the agent's answer does not fit "
                    + type.getSimpleName() + ": " + e.getMessage());
        }
    }

    private AFUNIXSocket connect() throws IOException {
        if (!Files.exists(socketPath)) {
            throw new AgentUnavailableException("no agent is running with admin socket " + socketPath
                    + " (the file does not exist; see admin.socket-path)", null);
        }
        AFUNIXSocket socket = AFUNIXSocket.newInstance();
        try {
            socket.connect(AFUNIXSocketAddress.of(socketPath), CONNECT_TIMEOUT_MILLIS);
            return socket;
        } catch (ConnectionRefusedSocketException | ConnectException e) {
            closeQuietly(socket, e);
            throw new AgentUnavailableException("no agent answers on admin socket " + socketPath + ": "
                    + e.getMessage(), e);
        } catch (IOException e) {
            closeQuietly(socket, e);
            throw new AgentUnavailableException("cannot connect to admin socket " + socketPath + ": "
                    + e.getMessage(), e);
        }
    }

    private static void closeQuietly(AFUNIXSocket socket, Exception e) {
        try {
            socket.close();
        } catch (IOException suppressed) {
            e.addSuppressed(suppressed);
        }
    }

    private static byte[] readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(4096);
        byte[] buffer = new byte[8192];
        int n;
        while ((n = in.read(buffer)) >= 0) {
            int newline = -1;
            for (int i = 0; i < n; i++) {
                if (buffer[i] == '\n') {
                    newline = i;
                    break;
                }
            }
            int take = newline >= 0 ? newline : n;
            if (line.size() + take > AdminProtocol.MAX_RESPONSE_BYTES) {
                throw new AdminErrorException(AdminErrorException.BAD_RESPONSE, "the agent's answer exceeds the "
                        + "maximum allowed (" + AdminProtocol.MAX_RESPONSE_BYTES + " bytes)");
            }
            line.write(buffer, 0, take);
            if (newline >= 0) {
                return line.toByteArray();
            }
        }
        if (line.size() == 0) {
            throw new AdminErrorException(AdminErrorException.BAD_RESPONSE,
                    "the agent closed the connection without answering");
        }
        return line.toByteArray();
    }
}
