package io.zentinel.sentinel.lua.supervisor.bench;

import io.zentinel.sentinel.lua.protocol.frame.FrameLimits;
import io.zentinel.sentinel.lua.protocol.frame.FrameReader;
import io.zentinel.sentinel.lua.protocol.frame.FrameWriter;
import io.zentinel.sentinel.lua.supervisor.proxy.ProxyCodec;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * A client that loads the agent the way the Sentinel proxy does: a pool of connections, each
 * with its handshake, RequestHeaders events pipelined on every connection with distinct
 * correlation ids, answers paired by {@code audit.custom.correlation_id}.
 *
 * <p>Closed loop: each connection keeps {@code depth} events outstanding and sends the next one
 * as soon as an answer arrives, so the figures are the agent's throughput and latency at that
 * concurrency. Latencies of the warm-up are discarded.
 */
public final class LoadGenerator {

    /** What to run. */
    public record Plan(Path socket, int connections, int concurrency, Duration warmup, Duration duration,
                       String method, String uri, int headers) {
        public Plan {
            if (connections < 1 || concurrency < connections) {
                throw new IllegalArgumentException("need connections >= 1 and concurrency >= connections (was "
                        + connections + ", " + concurrency + ")");
            }
        }
    }

    private final Plan plan;
    private final AtomicBoolean measuring = new AtomicBoolean();
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final LatencyRecorder recorder;

    public LoadGenerator(Plan plan) {
        this.plan = plan;
        long expected = Math.max(1_000_000, (long) plan.concurrency() * 200_000);
        this.recorder = new LatencyRecorder((int) Math.min(expected, 20_000_000));
    }

    /** Runs the plan and returns what was measured. */
    public LoadResult run() throws IOException, InterruptedException {
        List<Connection> connections = new ArrayList<>();
        long peerPid = -1;
        for (int i = 0; i < plan.connections(); i++) {
            Connection c = new Connection(i, depthOf(i));
            connections.add(c);
            peerPid = c.peerPid;
        }
        AgentCpu cpu = new AgentCpu(peerPid);
        for (Connection c : connections) {
            c.start();
        }
        Thread.sleep(plan.warmup().toMillis());
        AgentCpu.Sample cpuBefore = cpu.sample();
        long start = System.nanoTime();
        measuring.set(true);
        Thread.sleep(plan.duration().toMillis());
        measuring.set(false);
        long elapsed = System.nanoTime() - start;
        AgentCpu.Sample cpuAfter = cpu.sample();
        stopping.set(true);
        long errors = 0;
        for (Connection c : connections) {
            c.close();
            errors += c.errors.get();
        }
        return new LoadResult(plan, recorder.count(), elapsed, recorder.percentiles(), errors,
                cpuAfter.minus(cpuBefore), peerPid, cpu.processCount());
    }

    private int depthOf(int connection) {
        int base = plan.concurrency() / plan.connections();
        return base + (connection < plan.concurrency() % plan.connections() ? 1 : 0);
    }

    /** One proxy connection with {@code depth} events in flight. */
    private final class Connection {
        private final int index;
        private final int depth;
        private final AFUNIXSocket socket;
        private final FrameReader reader;
        private final FrameWriter writer;
        private final Thread readerThread;
        private final ConcurrentHashMap<String, Long> sentAt = new ConcurrentHashMap<>();
        private final AtomicLong sequence = new AtomicLong();
        private final AtomicLong errors = new AtomicLong();
        private final long peerPid;

        Connection(int index, int depth) throws IOException {
            this.index = index;
            this.depth = depth;
            this.socket = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(plan.socket()));
            this.reader = new FrameReader(new BufferedInputStream(socket.getInputStream(), 65536), FrameLimits.PROXY_V2);
            this.writer = new FrameWriter(new BufferedOutputStream(socket.getOutputStream(), 65536), FrameLimits.PROXY_V2);
            this.peerPid = socket.getPeerCredentials().getPid();
            writer.write((byte) ProxyCodec.HANDSHAKE_REQUEST, EventTemplate.HANDSHAKE);
            byte[] answer = reader.read();
            if (answer == null || answer[0] != ProxyCodec.HANDSHAKE_RESPONSE
                    || !new String(answer, 1, answer.length - 1, StandardCharsets.UTF_8).contains("\"success\":true")) {
                throw new IOException("handshake refused on connection " + index);
            }
            this.readerThread = Thread.ofPlatform().name("load-conn-" + index).daemon(true).unstarted(this::readLoop);
        }

        void start() throws IOException {
            readerThread.start();
            for (int i = 0; i < depth; i++) {
                send();
            }
        }

        private void send() throws IOException {
            String id = "L" + index + "-" + sequence.getAndIncrement();
            sentAt.put(id, System.nanoTime());
            writer.write((byte) ProxyCodec.REQUEST_HEADERS,
                    EventTemplate.requestHeaders(id, plan.method(), plan.uri(), plan.headers()));
        }

        private void readLoop() {
            try {
                byte[] frame;
                while ((frame = reader.read()) != null) {
                    long now = System.nanoTime();
                    if (frame[0] != ProxyCodec.AGENT_RESPONSE) {
                        continue;
                    }
                    String id = EventTemplate.correlationIdOf(frame);
                    Long sent = id == null ? null : sentAt.remove(id);
                    if (sent == null) {
                        errors.incrementAndGet();
                        continue;
                    }
                    if (measuring.get()) {
                        recorder.record(now - sent);
                    }
                    if (!stopping.get()) {
                        send();
                    }
                }
            } catch (IOException e) {
                if (!stopping.get()) {
                    errors.incrementAndGet();
                }
            }
        }

        void close() throws IOException, InterruptedException {
            socket.close();
            readerThread.join(2000);
        }
    }
}
