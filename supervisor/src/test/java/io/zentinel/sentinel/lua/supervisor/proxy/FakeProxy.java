package io.zentinel.sentinel.lua.supervisor.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.zentinel.sentinel.lua.protocol.frame.FrameLimits;
import io.zentinel.sentinel.lua.protocol.frame.FrameReader;
import io.zentinel.sentinel.lua.protocol.frame.FrameWriter;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A test stand-in for Sentinel that speaks the real agent protocol v2 over a Unix socket: it
 * handshakes like the proxy (golden frame §12.1), pipelines events without waiting, and pairs
 * responses with requests by {@code audit.custom.correlation_id}, so answers may arrive in any
 * order. Every AgentResponse is checked against the proxy's typing rules (strict UTF-8, no
 * duplicate members, integer version, string correlation id); any breach, and any frame type the
 * agent must never send, is recorded in {@link #violations()}.
 *
 * <p>Threads: the caller's thread sends (frames are written whole under a lock, so several test
 * threads may send at once); after the handshake a reader thread {@code fake-proxy-reader}
 * completes the futures. Not for concurrent {@link #handshake()} calls.
 */
public final class FakeProxy implements AutoCloseable {
    /** A frame received from the agent: type byte and payload. */
    public record Frame(int type, byte[] payload) {
        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        public JsonNode json() {
            return StrictJson.parse(payload);
        }
    }

    private final AFUNIXSocket socket;
    private final FrameReader reader;
    private final FrameWriter writer;
    private final OutputStream rawOut;
    private final ReentrantLock rawLock = new ReentrantLock();
    private final Map<String, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> responseCounts = new ConcurrentHashMap<>();
    private final List<String> arrivalOrder = Collections.synchronizedList(new ArrayList<>());
    private final List<JsonNode> unmatched = Collections.synchronizedList(new ArrayList<>());
    private final List<String> violations = Collections.synchronizedList(new ArrayList<>());
    private final BlockingQueue<Frame> otherFrames = new LinkedBlockingQueue<>();
    private final CompletableFuture<Void> closedByAgent = new CompletableFuture<>();
    private volatile Thread readerThread;

    private FakeProxy(AFUNIXSocket socket) throws IOException {
        this.socket = socket;
        this.reader = new FrameReader(new BufferedInputStream(socket.getInputStream(), 65536), FrameLimits.PROXY_V2);
        this.rawOut = new BufferedOutputStream(socket.getOutputStream(), 65536);
        this.writer = new FrameWriter(new LockedStream(), FrameLimits.PROXY_V2);
    }

    /** Connects to the agent's socket; nothing is sent yet. */
    public static FakeProxy connect(Path socketPath) throws IOException {
        return new FakeProxy(AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(socketPath)));
    }

    /** Sends the proxy's handshake (golden §12.1) and returns the agent's answer (see {@link #handshake(String)}). */
    public JsonNode handshake() throws IOException {
        return handshake(GoldenFrames.HANDSHAKE_REQUEST.payloadText());
    }

    /**
     * Sends a HandshakeRequest with {@code json} as payload and reads the agent's first frame,
     * which must be a HandshakeResponse; then the reader thread starts.
     *
     * @throws IOException if the agent closed the connection or answered with another type
     */
    public JsonNode handshake(String json) throws IOException {
        send(ProxyCodec.HANDSHAKE_REQUEST, json);
        byte[] frame = reader.read();
        if (frame == null) {
            throw new IOException("agent closed the connection instead of answering the handshake");
        }
        if ((frame[0] & 0xFF) != ProxyCodec.HANDSHAKE_RESPONSE) {
            throw new IOException("agent's first frame has type " + ProxyCodec.hex(frame[0] & 0xFF));
        }
        JsonNode response = StrictJson.parse(Arrays.copyOfRange(frame, 1, frame.length));
        startReader();
        return response;
    }

    /** Starts the reader without a handshake (for tests that send something else first). */
    public void startReader() {
        if (readerThread == null) {
            readerThread = Thread.ofPlatform().daemon(true).name("fake-proxy-reader").start(this::readLoop);
        }
    }

    /** Sends one frame of {@code type} with {@code json} (UTF-8) as payload. */
    public void send(int type, String json) throws IOException {
        send(type, json.getBytes(StandardCharsets.UTF_8));
    }

    public void send(int type, byte[] payload) throws IOException {
        writer.write((byte) type, payload);
    }

    /** Sends bytes as they are, e.g. a hand-made length prefix. */
    public void sendRaw(byte[] bytes) throws IOException {
        rawLock.lock();
        try {
            rawOut.write(bytes);
            rawOut.flush();
        } finally {
            rawLock.unlock();
        }
    }

    /** Sends a RequestHeaders event and returns the future of its response. */
    public CompletableFuture<JsonNode> request(String json) throws IOException {
        return request(ProxyCodec.REQUEST_HEADERS, json);
    }

    /**
     * Sends an event and returns the future of the response whose {@code audit.custom.correlation_id}
     * equals the event's {@code correlation_id} (or {@code metadata.correlation_id}).
     */
    public CompletableFuture<JsonNode> request(int type, String json) throws IOException {
        JsonNode event = StrictJson.parse(json);
        String id = event.path("correlation_id").isTextual() ? event.get("correlation_id").asText()
                : event.path("metadata").path("correlation_id").asText();
        CompletableFuture<JsonNode> future = expectResponse(id);
        send(type, json);
        return future;
    }

    /** Registers interest in the response for {@code correlationId} without sending anything. */
    public CompletableFuture<JsonNode> expectResponse(String correlationId) {
        CompletableFuture<JsonNode> future = new CompletableFuture<>();
        if (pending.putIfAbsent(correlationId, future) != null) {
            throw new IllegalStateException("a response for \"" + correlationId + "\" is already awaited");
        }
        return future;
    }

    /** The next frame that is not an AgentResponse (Pong, HealthStatus …), or {@code null} after the timeout. */
    public Frame nextOtherFrame(Duration timeout) throws InterruptedException {
        return otherFrames.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** How many AgentResponses carried {@code correlationId}. */
    public int responseCount(String correlationId) {
        AtomicInteger n = responseCounts.get(correlationId);
        return n == null ? 0 : n.get();
    }

    /** Correlation ids of the AgentResponses in the order they arrived. */
    public List<String> arrivalOrder() {
        synchronized (arrivalOrder) {
            return List.copyOf(arrivalOrder);
        }
    }

    /** AgentResponses for which no request was waiting. */
    public List<JsonNode> unmatchedResponses() {
        synchronized (unmatched) {
            return List.copyOf(unmatched);
        }
    }

    /** Protocol breaches seen so far; empty for a conforming agent. */
    public List<String> violations() {
        synchronized (violations) {
            return List.copyOf(violations);
        }
    }

    /** Completes when the agent closes the connection (end of file or read error). */
    public CompletableFuture<Void> closedByAgent() {
        return closedByAgent;
    }

    /** Closes the write side, as the proxy does when it shuts the agent down. */
    public void shutdownOutput() throws IOException {
        rawLock.lock();
        try {
            rawOut.flush();
            socket.getChannel().shutdownOutput(); // junixsocket 2.11.1: Socket.shutdownOutput() says "not connected"
        } finally {
            rawLock.unlock();
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
        Thread t = readerThread;
        if (t != null) {
            try {
                t.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void readLoop() {
        try {
            byte[] frame;
            while ((frame = reader.read()) != null) {
                int type = frame[0] & 0xFF;
                byte[] payload = Arrays.copyOfRange(frame, 1, frame.length);
                if (type == ProxyCodec.AGENT_RESPONSE) {
                    onResponse(payload);
                } else {
                    if (!(type >= ProxyCodec.HEALTH_STATUS && type <= ProxyCodec.FLOW_CONTROL) && type != ProxyCodec.PONG) {
                        violations.add("agent sent a frame of type " + ProxyCodec.hex(type) + " after the handshake");
                    }
                    otherFrames.add(new Frame(type, payload));
                }
            }
            closedByAgent.complete(null);
        } catch (IOException e) {
            closedByAgent.complete(null);
        } catch (RuntimeException e) {
            violations.add("reader failed: " + e);
            closedByAgent.completeExceptionally(e);
        }
    }

    private void onResponse(byte[] payload) {
        JsonNode json;
        String id;
        try {
            json = StrictJson.parse(payload);
            id = StrictJson.checkAgentResponse(json);
        } catch (RuntimeException | AssertionError e) {
            violations.add("invalid AgentResponse " + new String(payload, StandardCharsets.UTF_8) + ": " + e);
            return;
        }
        responseCounts.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
        arrivalOrder.add(id);
        CompletableFuture<JsonNode> future = pending.remove(id);
        if (future == null) {
            unmatched.add(json);
        } else {
            future.complete(json);
        }
    }

    /** Routes FrameWriter output through the same lock as {@link #sendRaw}. */
    private final class LockedStream extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            rawLock.lock();
            try {
                rawOut.write(b);
            } finally {
                rawLock.unlock();
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            rawLock.lock();
            try {
                rawOut.write(b, off, len);
            } finally {
                rawLock.unlock();
            }
        }

        @Override
        public void flush() throws IOException {
            rawLock.lock();
            try {
                rawOut.flush();
            } finally {
                rawLock.unlock();
            }
        }
    }

    // ---- event payloads as the proxy writes them (members sorted by name, §6) ----------------------

    /** A RequestHeaders payload like golden §12.3, for {@code GET /} with the given id. */
    public static String requestHeaders(String correlationId) {
        return requestHeaders(correlationId, "GET", "/", Map.of("host", List.of("example.com")));
    }

    public static String requestHeaders(String correlationId, String method, String uri, Map<String, List<String>> headers) {
        ObjectNode root = StrictJson.mapper().createObjectNode();
        root.put("correlation_id", correlationId);
        ObjectNode h = root.putObject("headers");
        headers.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            ArrayNode values = h.putArray(e.getKey());
            e.getValue().forEach(values::add);
        });
        if (!headers.containsKey("x-correlation-id")) {
            h.putArray("x-correlation-id").add(correlationId);
        }
        ObjectNode md = root.putObject("metadata");
        md.put("client_ip", "127.0.0.1:51514");
        md.put("client_port", 0);
        md.put("correlation_id", correlationId);
        md.put("protocol", "HTTP/1.1");
        md.put("request_id", UUID.randomUUID().toString());
        md.put("route_id", "api");
        md.putNull("server_name");
        md.put("timestamp", "2026-07-01T09:30:00.123456789+00:00");
        md.putNull("tls_cipher");
        md.putNull("tls_version");
        md.putNull("upstream_id");
        root.put("method", method);
        root.put("uri", uri);
        return root.toString();
    }

    /** A RequestBodyChunk payload (§7.2) carrying all of {@code body} in one chunk. */
    public static String requestBodyChunk(String correlationId, byte[] body, boolean isLast) {
        ObjectNode root = StrictJson.mapper().createObjectNode();
        root.put("bytes_received", body.length);
        root.put("chunk_index", 0);
        root.put("correlation_id", correlationId);
        root.put("data", Base64.getEncoder().encodeToString(body));
        root.put("is_last", isLast);
        root.put("total_size", body.length);
        return root.toString();
    }

    /** A ResponseHeaders payload (§7.3). */
    public static String responseHeaders(String correlationId, int status) {
        ObjectNode root = StrictJson.mapper().createObjectNode();
        root.put("correlation_id", correlationId);
        root.putObject("headers").putArray("content-type").add("text/plain");
        root.put("status", status);
        return root.toString();
    }

    /** A Ping payload (§9). */
    public static String ping(long sequence, long timestampMs) {
        return "{\"sequence\":" + sequence + ",\"timestamp_ms\":" + timestampMs + "}";
    }

    /** A Cancel payload (§9). */
    public static String cancel(String correlationId, int reason) {
        ObjectNode root = StrictJson.mapper().createObjectNode();
        root.put("correlation_id", Objects.requireNonNull(correlationId));
        root.put("reason", reason);
        root.put("timestamp_ms", 1_782_898_200_123L);
        return root.toString();
    }
}
