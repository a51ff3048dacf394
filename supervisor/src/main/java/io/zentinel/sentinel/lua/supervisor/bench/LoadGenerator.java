package io.zentinel.sentinel.lua.supervisor.bench;

import io.zentinel.sentinel.lua.protocol.frame.FrameLimits;
import io.zentinel.sentinel.lua.protocol.frame.FrameReader;
import io.zentinel.sentinel.lua.protocol.frame.FrameWriter;
import io.zentinel.sentinel.lua.supervisor.proxy.ProxyCodec;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * A client that loads the agent the way the Sentinel proxy does: a pool of connections, each
 * with its handshake, events pipelined on every connection with distinct correlation ids,
 * answers paired by {@code audit.custom.correlation_id}.
 *
 * <p>Closed loop: {@code concurrency} events are kept outstanding over all connections (spread
 * as evenly as possible; with fewer events than connections some connections stay idle, as the
 * proxy's do at low load), and each answer sends the next event on its connection at once, so
 * the figures are the agent's throughput and latency at that concurrency. Latencies and
 * decisions of the warm-up are discarded.
 *
 * <p>Besides latency it samples the agent's processes (the socket's peer and its descendants):
 * resident memory before the first event, during the measured window and after it, and CPU time
 * over the window; and its own CPU time, which competes with the agent's on a small machine.
 */
public final class LoadGenerator {

    /** What to run. */
    public record Plan(Path socket, int connections, int concurrency, Duration warmup, Duration duration,
                       Workload workload) {
        public Plan {
            if (connections < 1 || connections > 64) {
                throw new IllegalArgumentException("connections must be between 1 and 64 (was " + connections + ")");
            }
            if (concurrency < 1 || concurrency > 10_000) {
                throw new IllegalArgumentException("concurrency must be between 1 and 10000 (was " + concurrency + ")");
            }
            if (warmup.isNegative() || duration.compareTo(Duration.ofSeconds(1)) < 0) {
                throw new IllegalArgumentException("warm-up must be >= 0 s and duration >= 1 s (was "
                        + warmup.toSeconds() + ", " + duration.toSeconds() + ")");
            }
        }
    }

    /** Sampling period of the agent's memory during the measured window. */
    private static final long MEMORY_SAMPLE_MILLIS = 200;

    private final Plan plan;
    private final AtomicBoolean measuring = new AtomicBoolean();
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final LatencyRecorder recorder = new LatencyRecorder();
    private final AtomicLong[] answers = new AtomicLong[EventTemplate.Answer.values().length];
    private final ConcurrentHashMap<String, LongAdder> failureCauses = new ConcurrentHashMap<>();

    public LoadGenerator(Plan plan) {
        this.plan = plan;
        for (int i = 0; i < answers.length; i++) {
            answers[i] = new AtomicLong();
        }
    }

    /** Runs the plan and returns what was measured. */
    public LoadResult run() throws IOException, InterruptedException {
        List<Connection> connections = new ArrayList<>();
        long peerPid = -1;
        try {
            for (int i = 0; i < plan.connections(); i++) {
                Connection c = new Connection(i, depthOf(i));
                connections.add(c);
                peerPid = c.peerPid;
            }
            AgentProcesses agent = new AgentProcesses(peerPid);
            AgentProcesses.Memory before = agent.memory();
            for (Connection c : connections) {
                c.start();
            }
            Thread.sleep(plan.warmup().toMillis());
            MemorySampler sampler = new MemorySampler(agent);
            AgentProcesses.Cpu cpuBefore = agent.cpu();
            double clientBefore = AgentProcesses.cpuSeconds(ProcessHandle.current().pid(), false);
            long start = System.nanoTime();
            measuring.set(true);
            sampler.start();
            Thread.sleep(plan.duration().toMillis());
            measuring.set(false);
            long elapsed = System.nanoTime() - start;
            AgentProcesses.Cpu cpuAfter = agent.cpu();
            double clientAfter = AgentProcesses.cpuSeconds(ProcessHandle.current().pid(), false);
            sampler.stop();
            AgentProcesses.Memory after = agent.memory();
            stopping.set(true);
            long errors = 0;
            for (Connection c : connections) {
                c.close();
                errors += c.errors.get();
            }
            long[] counts = new long[answers.length];
            for (int i = 0; i < counts.length; i++) {
                counts[i] = answers[i].get();
            }
            Map<String, Long> causes = new TreeMap<>();
            failureCauses.forEach((cause, n) -> causes.put(cause, n.sum()));
            return new LoadResult(plan, recorder.count(), elapsed, recorder.percentiles(), errors,
                    new LoadResult.Answers(counts[0], counts[1], counts[2], counts[3], causes),
                    peerPid, cpuAfter.minus(cpuBefore), clientAfter - clientBefore,
                    new LoadResult.MemoryFigures(before, sampler.first, after, sampler.peakTotalKb, sampler.childPids.size()));
        } finally {
            stopping.set(true);
            for (Connection c : connections) {
                c.close();
            }
        }
    }

    private int depthOf(int connection) {
        int base = plan.concurrency() / plan.connections();
        return base + (connection < plan.concurrency() % plan.connections() ? 1 : 0);
    }

    /** Samples the agent's memory during the measured window: its peak and every child process seen. */
    private static final class MemorySampler {
        private final AgentProcesses agent;
        private final Thread thread;
        private final Set<Long> childPids = new HashSet<>();
        private volatile boolean running = true;
        private AgentProcesses.Memory first;
        private long peakTotalKb;

        MemorySampler(AgentProcesses agent) {
            this.agent = agent;
            this.thread = Thread.ofPlatform().name("load-memory").daemon(true).unstarted(this::loop);
        }

        void start() {
            thread.start();
        }

        private void loop() {
            while (running) {
                AgentProcesses.Memory m = agent.memory();
                if (m.available()) {
                    if (first == null) {
                        first = m;
                    }
                    peakTotalKb = Math.max(peakTotalKb, m.totalKb());
                    childPids.addAll(m.childPids());
                }
                try {
                    Thread.sleep(MEMORY_SAMPLE_MILLIS);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        /** Stops the sampler; its fields are then safe to read (join). */
        void stop() throws InterruptedException {
            running = false;
            thread.interrupt();
            thread.join();
        }
    }

    /** One proxy connection with {@code depth} events in flight. */
    private final class Connection {
        private final int index;
        private final int depth;
        private final AFUNIXSocket socket;
        private final FrameReader reader;
        private final FrameWriter writer;
        private final Thread readerThread;
        private final Workload.Events events;
        private final ReentrantLock sendLock = new ReentrantLock();
        private final ConcurrentHashMap<String, Long> sentAt = new ConcurrentHashMap<>();
        private final AtomicLong errors = new AtomicLong();
        private final long peerPid;
        private long sequence;
        private boolean closed;

        Connection(int index, int depth) throws IOException {
            this.index = index;
            this.depth = depth;
            this.events = plan.workload().events();
            this.socket = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(plan.socket()));
            this.reader = new FrameReader(socket.getInputStream(), FrameLimits.PROXY_V2);
            this.writer = new FrameWriter(new BufferedOutputStream(socket.getOutputStream(), 65536), FrameLimits.PROXY_V2);
            this.peerPid = socket.getPeerCredentials().getPid();
            writer.write((byte) ProxyCodec.HANDSHAKE_REQUEST, EventTemplate.HANDSHAKE);
            byte[] answer = reader.read();
            if (answer == null || answer[0] != ProxyCodec.HANDSHAKE_RESPONSE
                    || !new String(answer, 1, answer.length - 1, StandardCharsets.UTF_8).contains("\"success\":true")) {
                socket.close();
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

        /** Called by the starting thread and by this connection's reader. */
        private void send() throws IOException {
            sendLock.lock();
            try {
                String id = LoadIds.id(index, sequence++);
                sentAt.put(id, System.nanoTime());
                writer.write(events.type(), events.next(id));
            } finally {
                sendLock.unlock();
            }
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
                        EventTemplate.Answer answer = EventTemplate.classify(frame);
                        answers[answer.ordinal()].incrementAndGet();
                        if (answer == EventTemplate.Answer.FAILURE_MODE) {
                            failureCauses.computeIfAbsent(EventTemplate.failureCause(frame), c -> new LongAdder())
                                    .increment();
                        }
                    }
                    if (!stopping.get()) {
                        send();
                    }
                }
                if (!stopping.get()) {
                    errors.incrementAndGet(); // the agent closed the connection under load
                }
            } catch (IOException e) {
                if (!stopping.get()) {
                    errors.incrementAndGet();
                }
            }
        }

        void close() throws InterruptedException {
            if (closed) {
                return;
            }
            closed = true;
            try {
                socket.close();
            } catch (IOException e) {
                // closing a connection we are done with
            }
            if (readerThread.isAlive()) {
                readerThread.join(2000);
            }
        }
    }
}
