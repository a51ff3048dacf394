package io.zentinel.sentinel.lua.supervisor.proxy;

import io.zentinel.sentinel.lua.protocol.frame.FlushBatch;
import io.zentinel.sentinel.lua.protocol.frame.FrameException;
import io.zentinel.sentinel.lua.protocol.frame.FrameLimits;
import io.zentinel.sentinel.lua.protocol.frame.FrameReader;
import org.newsclub.net.unix.BrokenPipeSocketException;
import org.newsclub.net.unix.ConnectionResetSocketException;
import org.newsclub.net.unix.SocketClosedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * One proxy connection (agent protocol v2): handshake first, then a read loop that dispatches
 * every event to a virtual thread of its own; answers go out through the connection's single
 * writer ({@link FrameOutbox}, one {@code FrameWriter}), so frames never interleave and answers
 * may go out in any order. The reader first offers each event to
 * {@link EventHandler#handleAsync}; only a handler that has to block gets a virtual thread.
 *
 * <p>Guarantees: every event frame (0x10–0x17) gets exactly one AgentResponse while the
 * connection is open: the handler's, or the fallback's when the handler throws or returns
 * {@code null} (or its answer cannot be encoded), or a {@code block 503} when the fallback fails
 * too. Ping gets a Pong with the same payload; Cancel gets nothing (its id goes to the cancel
 * listener). Other valid types are logged and ignored. An invalid length or unknown type byte
 * closes the connection at once (the proxy never reads it again, so answering in-flight events
 * would be pointless). At end of file the connection waits up to
 * {@link Settings#eofDrainTimeout()} for its in-flight events to be answered, then closes.
 *
 * <p>Threads: {@link #run()} is the connection's reader, a <em>platform</em> thread
 * {@code proxy-conn-<n>} started by {@link ProxyListener}, and {@code proxy-conn-<n>-writer}
 * writes; socket I/O stays off virtual threads because of a junixsocket limitation (see
 * {@link FrameOutbox}). {@link EventHandler#handle} and the fallback run on a virtual thread per
 * event ({@code proxy-conn-<n>-event-<m>}), or, for an event answered by
 * {@link EventHandler#handleAsync}, the fallback and the encoding run on the thread that
 * completed the answer; the cancel listener runs on the reader thread, so it must not block. {@link #close()}, {@link #inFlight()} and {@link #awaitIdle(Duration)} may be
 * called from any thread.
 *
 * <p>An event is in flight from the moment it is read until its answer has been written (or
 * could not be). At most {@link Settings#maxInFlightEvents()} events are in flight per
 * connection; beyond that the reader stops reading until one is answered (back-pressure
 * through the socket).
 */
public final class ProxyConnection implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(ProxyConnection.class);
    private static final int BUFFER_BYTES = 64 * 1024;
    /** A payload must leave room for the type byte within the frame limit. */
    private static final int MAX_PAYLOAD_BYTES = FrameLimits.PROXY_V2.maxFrameBytes();
    private static final Duration WRITER_FINISH_TIMEOUT = Duration.ofSeconds(5);
    private static final int MAX_PENDING_PONGS = 16;
    /** Reports (HealthStatus, MetricsReport) waiting to be written at most; newer ones are dropped. */
    private static final int MAX_PENDING_REPORTS = 4;
    private static final Thread.UncaughtExceptionHandler UNCAUGHT =
            (t, e) -> log.error("{} - uncaught exception", t.getName(), e);

    /**
     * What a connection needs besides its socket.
     *
     * @param capabilities      announced in the HandshakeResponse
     * @param handler           answers events; called on a virtual thread per event
     * @param fallback          answers an event whose handler threw or returned {@code null}
     *                          (normally the configured failure-mode decision)
     * @param cancelListener    receives the correlation id of each Cancel frame, or {@code null}
     * @param maxInFlightEvents events of one connection being handled at once (>= 1); the proxy
     *                          itself keeps at most 100 outstanding per connection
     * @param eofDrainTimeout   how long to wait for in-flight answers after the proxy closed its side
     * @param handshakeTimeout  how long a new connection may take to send its HandshakeRequest;
     *                          the proxy sends it right after connecting, so this only frees the
     *                          connection permit of a client that connects and says nothing
     */
    public record Settings(AgentCapabilities capabilities, EventHandler handler,
                           Function<AgentEvent, AgentResponse> fallback, Consumer<String> cancelListener,
                           int maxInFlightEvents, Duration eofDrainTimeout, Duration handshakeTimeout) {

        public static final int DEFAULT_MAX_IN_FLIGHT_EVENTS = 256;
        public static final Duration DEFAULT_EOF_DRAIN_TIMEOUT = Duration.ofSeconds(30);
        public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

        public Settings {
            Objects.requireNonNull(capabilities, "capabilities");
            Objects.requireNonNull(handler, "handler");
            Objects.requireNonNull(fallback, "fallback");
            Objects.requireNonNull(eofDrainTimeout, "eofDrainTimeout");
            Objects.requireNonNull(handshakeTimeout, "handshakeTimeout");
            if (maxInFlightEvents < 1) {
                throw new IllegalArgumentException("maxInFlightEvents must be >= 1 (was " + maxInFlightEvents + ")");
            }
            if (eofDrainTimeout.isNegative()) {
                throw new IllegalArgumentException("eofDrainTimeout must not be negative (was " + eofDrainTimeout + ")");
            }
            if (handshakeTimeout.toMillis() < 1 || handshakeTimeout.toMillis() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("handshakeTimeout must be 1 ms .. 24 days (was " + handshakeTimeout + ")");
            }
        }

        /** Settings with no cancel listener and the default limits. */
        public Settings(AgentCapabilities capabilities, EventHandler handler,
                        Function<AgentEvent, AgentResponse> fallback) {
            this(capabilities, handler, fallback, null, DEFAULT_MAX_IN_FLIGHT_EVENTS, DEFAULT_EOF_DRAIN_TIMEOUT,
                    DEFAULT_HANDSHAKE_TIMEOUT);
        }

        public Settings withCancelListener(Consumer<String> listener) {
            return new Settings(capabilities, handler, fallback, listener, maxInFlightEvents, eofDrainTimeout,
                    handshakeTimeout);
        }

        public Settings withMaxInFlightEvents(int max) {
            return new Settings(capabilities, handler, fallback, cancelListener, max, eofDrainTimeout, handshakeTimeout);
        }

        public Settings withEofDrainTimeout(Duration timeout) {
            return new Settings(capabilities, handler, fallback, cancelListener, maxInFlightEvents, timeout,
                    handshakeTimeout);
        }

        public Settings withHandshakeTimeout(Duration timeout) {
            return new Settings(capabilities, handler, fallback, cancelListener, maxInFlightEvents, eofDrainTimeout,
                    timeout);
        }
    }

    private final long id;
    private final String name;
    private final Socket socket;
    private final ProxyCodec codec;
    private final Settings settings;
    private final ProxyStats stats;
    private final ThreadFactory eventThreads;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition slotFree = lock.newCondition();
    private final Condition idle = lock.newCondition();
    private int inFlight; // guarded by lock

    private final AtomicInteger pendingPongs = new AtomicInteger();
    private final AtomicInteger pendingReports = new AtomicInteger();
    private volatile boolean handshaken;

    private volatile boolean closing;
    private volatile FrameOutbox outbox;
    private volatile boolean warnedMalformed;
    private volatile boolean warnedHandlerFailure;

    /**
     * @param id     a number unique within the listener; the connection is named {@code proxy-conn-<id>}
     * @param socket an accepted connection; owned (and closed) by this object from now on
     */
    public ProxyConnection(long id, Socket socket, ProxyCodec codec, Settings settings, ProxyStats stats) {
        this.id = id;
        this.name = "proxy-conn-" + id;
        this.socket = Objects.requireNonNull(socket, "socket");
        this.codec = Objects.requireNonNull(codec, "codec");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.stats = Objects.requireNonNull(stats, "stats");
        this.eventThreads = Thread.ofVirtual().name(name + "-event-", 0).uncaughtExceptionHandler(UNCAUGHT).factory();
    }

    public long id() {
        return id;
    }

    /** {@code proxy-conn-<id>}: the reader thread's name and the subject of log lines. */
    public String name() {
        return name;
    }

    /** Events received on this connection and not answered yet. */
    public int inFlight() {
        lock.lock();
        try {
            return inFlight;
        } finally {
            lock.unlock();
        }
    }

    /** Waits until no event of this connection is in flight; {@code false} if the time ran out. */
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        return awaitIdle(timeout, false);
    }

    private boolean awaitIdle(Duration timeout, boolean untilClosed) throws InterruptedException {
        long nanos = timeout.toNanos();
        lock.lock();
        try {
            while (inFlight > 0) {
                if (untilClosed && closing) {
                    return false;
                }
                if (nanos <= 0) {
                    return false;
                }
                nanos = idle.awaitNanos(nanos);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Closes the socket; the reader stops, answers still being produced are dropped. Idempotent. */
    public void close() {
        closing = true;
        closeSocket();
        FrameOutbox o = outbox;
        if (o != null) {
            o.abort();
        }
        lock.lock();
        try {
            slotFree.signalAll();
            idle.signalAll(); // a reader draining after end of file stops waiting
        } finally {
            lock.unlock();
        }
    }

    /** The connection's reader loop; returns when the connection is closed. */
    @Override
    public void run() {
        stats.connectionOpened();
        try {
            FrameReader reader = new FrameReader(socket.getInputStream(), FrameLimits.PROXY_V2, BUFFER_BYTES);
            outbox = new FrameOutbox(name, new BufferedOutputStream(socket.getOutputStream(), BUFFER_BYTES), this::close);
            outbox.start();
            if (closing) {
                return; // closed while starting
            }
            if (handshake(reader) && serve(reader)) {
                outbox.finish(WRITER_FINISH_TIMEOUT); // end of file: write what is left, then close
            }
        } catch (FrameException e) {
            stats.protocolError();
            log.warn("{} - {}, closing the connection", name, e.getMessage());
        } catch (IOException e) {
            if (closing) {
                log.debug("{} - closed: {}", name, e.toString());
            } else if (closedByPeer(e)) {
                log.info("{} - the proxy closed the connection without reading every answer; {} event(s) unanswered ({})",
                        name, inFlight(), e.toString());
            } else {
                log.warn("{} - read failed, closing the connection: {}", name, e.toString());
            }
        } catch (InterruptedException e) {
            log.debug("{} - interrupted, closing the connection", name);
        } finally {
            close();
            stats.connectionClosed();
            log.debug("{} - connection closed", name);
        }
    }

    /**
     * Whether a read failed because the proxy went away rather than because reading broke: it
     * closed its socket with answers unread in it, and the kernel reset the connection; or the
     * writer met the proxy's closed end at the same time and junixsocket then reports our socket
     * as not open (seen as load generators stop). Both are how a proxy that stops or restarts
     * may end a connection.
     */
    private static boolean closedByPeer(IOException e) {
        return e instanceof ConnectionResetSocketException || e instanceof SocketClosedException
                || e instanceof BrokenPipeSocketException;
    }

    private boolean handshake(FrameReader reader) throws IOException {
        byte[] frame;
        socket.setSoTimeout((int) settings.handshakeTimeout().toMillis());
        try {
            frame = reader.read();
        } catch (SocketTimeoutException e) {
            stats.protocolError();
            log.warn("{} - no HandshakeRequest within {}, closing the connection", name, settings.handshakeTimeout());
            return false;
        }
        socket.setSoTimeout(0);
        if (frame == null) {
            log.debug("{} - closed before the handshake", name);
            return false;
        }
        int type = frame[0] & 0xFF;
        if (type != ProxyCodec.HANDSHAKE_REQUEST) {
            stats.protocolError();
            log.warn("{} - first frame is type {} ({}), not a HandshakeRequest; closing the connection",
                    name, ProxyCodec.hex(type), Objects.requireNonNullElse(ProxyCodec.typeName(type), "unknown"));
            return false;
        }
        HandshakeRequest request = null;
        String refusal;
        try {
            request = codec.decodeHandshake(frame);
            refusal = request.supportsVersion(ProxyCodec.PROTOCOL_VERSION) ? null
                    : "agent speaks protocol version 2 only; proxy offered " + request.supportedVersions();
        } catch (IOException e) {
            refusal = "malformed HandshakeRequest: " + e.getMessage();
        }
        outbox.send(ProxyCodec.HANDSHAKE_RESPONSE,
                codec.encodeHandshakeResponse(settings.capabilities(), refusal == null, refusal), null);
        if (refusal != null) {
            stats.handshakeRefused();
            log.warn("{} - handshake refused, closing the connection: {}", name, refusal);
            try {
                outbox.finish(WRITER_FINISH_TIMEOUT); // the refusal must be written before the socket closes
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return false;
        }
        if (!request.offersJson()) {
            log.warn("{} - proxy offered encodings {} without json; answering json anyway",
                    name, request.supportedEncodings());
        }
        log.info("{} - handshake done with {} {}", name, request.proxyId(), request.proxyVersion());
        handshaken = true;
        return true;
    }

    /** The read loop; {@code true} at end of file, {@code false} when the connection must close now. */
    private boolean serve(FrameReader reader) throws IOException, InterruptedException {
        try (FlushBatch batch = FlushBatch.open()) {
            return serveFrames(reader, batch);
        }
    }

    private boolean serveFrames(FrameReader reader, FlushBatch batch) throws IOException, InterruptedException {
        while (true) {
            if (!reader.hasBufferedFrame()) {
                batch.flushHeld(); // the calls of the events read so far go to the workers
            }
            byte[] frame = reader.read();
            if (frame == null) {
                drainAfterEof();
                return true;
            }
            int type = frame[0] & 0xFF;
            if (ProxyCodec.isEvent(type)) {
                if (!dispatch(frame)) {
                    return false;
                }
                continue;
            }
            switch (type) {
                case ProxyCodec.PING -> pong(frame);
                case ProxyCodec.CANCEL -> cancel(frame);
                default -> {
                    if (!ProxyCodec.isKnownType(type)) {
                        stats.protocolError();
                        log.warn("{} - unknown frame type {}, closing the connection", name, ProxyCodec.hex(type));
                        return false;
                    }
                    stats.frameIgnored();
                    log.debug("{} - ignoring a {} frame", name, ProxyCodec.typeName(type));
                }
            }
        }
    }

    private void drainAfterEof() throws InterruptedException {
        int pending = inFlight();
        log.debug("{} - proxy closed its side; {} event(s) in flight", name, pending);
        if (pending > 0 && !awaitIdle(settings.eofDrainTimeout(), true)) {
            if (closing) {
                log.debug("{} - closed while {} event(s) were still in flight after end of file", name, inFlight());
            } else {
                log.warn("{} - {} event(s) still unanswered {} after end of file, closing the connection",
                        name, inFlight(), settings.eofDrainTimeout());
            }
        }
    }

    /** Starts the event's virtual thread; {@code false} when the connection closed meanwhile. */
    private boolean dispatch(byte[] frame) throws InterruptedException {
        if (!acquireSlot()) {
            return false;
        }
        AgentEvent event;
        try {
            event = codec.decodeEvent(frame);
        } catch (RuntimeException e) { // not expected: decodeEvent reports bad payloads as Malformed
            event = new AgentEvent.Malformed("", frame[0] & 0xFF, "decoder failed: " + e);
        }
        stats.eventReceived(frame[0] & 0xFF);
        if (event instanceof AgentEvent.Malformed m) {
            stats.eventMalformed();
            if (!warnedMalformed) {
                warnedMalformed = true;
                log.warn("{} - malformed {} payload (id \"{}\"): {}; answering with the handler's decision for "
                        + "malformed events (further ones on this connection are logged at debug)",
                        name, ProxyCodec.typeName(m.type()), m.correlationId(), m.problem());
            } else {
                log.debug("{} - malformed {} payload (id \"{}\"): {}",
                        name, ProxyCodec.typeName(m.type()), m.correlationId(), m.problem());
            }
        }
        AgentEvent dispatched = event;
        CompletableFuture<AgentResponse> pending;
        try {
            pending = settings.handler().handleAsync(dispatched);
        } catch (Throwable t) {
            pending = CompletableFuture.failedFuture(t);
        }
        if (pending != null) {
            pending.whenComplete((response, failure) -> deliver(dispatched, response, failure));
            return true;
        }
        Thread thread = eventThreads.newThread(() -> answer(dispatched));
        try {
            thread.start();
        } catch (RuntimeException | OutOfMemoryError e) {
            log.warn("{} - could not start an event thread ({}); answering on the reader thread", name, e.toString());
            FlushBatch.flushCurrent(); // the handler may wait for a VM that a held call would free
            answer(dispatched);
        }
        return true;
    }

    /** Runs the blocking handler on the event's virtual thread and delivers its answer. */
    private void answer(AgentEvent event) {
        AgentResponse response = null;
        Throwable failure = null;
        try {
            response = settings.handler().handle(event);
        } catch (Throwable t) {
            failure = t;
        }
        deliver(event, response, failure);
    }

    /**
     * Queues exactly one answer for the event: {@code response}, or the fallback's when the
     * handler failed ({@code failure}), returned nothing or its answer cannot be encoded. Called
     * once per event, on whichever thread the answer became known.
     */
    private void deliver(AgentEvent event, AgentResponse response, Throwable failure) {
        byte[] payload = null;
        Error error = null;
        try {
            try {
                if (failure != null) {
                    throw failure instanceof CompletionException && failure.getCause() != null
                            ? failure.getCause() : failure;
                }
                if (response == null) {
                    throw new IllegalStateException("handler returned no response");
                }
                payload = codec.encodeResponse(withEventId(response, event));
                if (payload.length >= MAX_PAYLOAD_BYTES) {
                    throw new IllegalStateException("response of " + payload.length
                            + " bytes does not fit in a frame (at most " + (MAX_PAYLOAD_BYTES - 1) + ")");
                }
            } catch (Throwable t) {
                if (t instanceof Error e) {
                    error = e;
                }
                stats.eventFellBack();
                logHandlerFailure(event, t);
                payload = fallbackPayload(event);
            }
        } finally {
            if (payload != null) {
                outbox.send(ProxyCodec.AGENT_RESPONSE, payload, written -> finished(event, written));
            } else {
                finished(event, false); // only after an Error in the fallback itself
            }
        }
        if (error != null) {
            throw error; // answered already; the thread's uncaught handler logs it
        }
    }

    private void finished(AgentEvent event, boolean written) {
        if (!written) {
            log.debug("{} - could not answer {} \"{}\" (connection closed)", name, typeName(event), event.correlationId());
        }
        stats.eventFinished(written);
        releaseSlot();
    }

    private byte[] fallbackPayload(AgentEvent event) {
        try {
            AgentResponse response = settings.fallback().apply(event);
            if (response == null) {
                throw new IllegalStateException("fallback returned no response");
            }
            byte[] payload = codec.encodeResponse(withEventId(response, event));
            if (payload.length >= MAX_PAYLOAD_BYTES) {
                throw new IllegalStateException("fallback response of " + payload.length + " bytes does not fit in a frame");
            }
            return payload;
        } catch (RuntimeException e) {
            log.error("{} - the fallback failed too for {} \"{}\", answering block 503", name,
                    typeName(event), event.correlationId(), e);
            return codec.encodeResponse(new AgentResponse(event.correlationId(),
                    new Decision.Block(503, "agent error", null), List.of(), List.of(), Map.of(),
                    AgentResponse.Audit.EMPTY, false, null, null, null));
        }
    }

    private void logHandlerFailure(AgentEvent event, Throwable t) {
        if (!warnedHandlerFailure) {
            warnedHandlerFailure = true;
            log.warn("{} - handler failed for {} \"{}\", answering with the fallback (further failures on this "
                    + "connection are logged at debug)", name, typeName(event), event.correlationId(), t);
        } else {
            log.debug("{} - handler failed for {} \"{}\", answering with the fallback: {}",
                    name, typeName(event), event.correlationId(), t.toString());
        }
    }

    /** The proxy routes an answer only by its id (§4), so the event's id always wins. */
    private AgentResponse withEventId(AgentResponse r, AgentEvent event) {
        if (r.correlationId().equals(event.correlationId())) {
            return r;
        }
        log.debug("{} - answer for \"{}\" carried id \"{}\"; using the event's id",
                name, event.correlationId(), r.correlationId());
        return new AgentResponse(event.correlationId(), r.decision(), r.requestHeaders(), r.responseHeaders(),
                r.routingMetadata(), r.audit(), r.needsMore(), r.requestBodyMutation(), r.responseBodyMutation(),
                r.websocketDecision());
    }

    /**
     * Echoes a Ping. Pongs are not bounded by the in-flight limit, so while the peer does not read
     * (the writer is stuck) at most {@link #MAX_PENDING_PONGS} wait; further Pings are dropped,
     * which is harmless: the proxy does not inspect Pongs.
     */
    private void pong(byte[] ping) {
        if (pendingPongs.incrementAndGet() > MAX_PENDING_PONGS) {
            pendingPongs.decrementAndGet();
            stats.frameIgnored();
            log.debug("{} - {} Pongs are still waiting to be written; dropping a Ping", name, MAX_PENDING_PONGS);
            return;
        }
        stats.pingAnswered();
        outbox.send(ProxyCodec.PONG, codec.encodePong(ping), written -> pendingPongs.decrementAndGet());
    }

    /**
     * Sends an agent-initiated frame (HealthStatus, MetricsReport) once the handshake is done;
     * {@code false} when it was not queued: before the handshake, while closing, or while
     * {@value #MAX_PENDING_REPORTS} reports still wait for a peer that does not read. Never blocks.
     */
    public boolean sendReport(int type, byte[] payload) {
        FrameOutbox o = outbox;
        if (!handshaken || closing || o == null) {
            return false;
        }
        if (pendingReports.incrementAndGet() > MAX_PENDING_REPORTS) {
            pendingReports.decrementAndGet();
            return false;
        }
        o.send(type, payload, written -> pendingReports.decrementAndGet());
        return true;
    }

    private void cancel(byte[] frame) {
        String correlationId = codec.decodeCancel(frame);
        stats.cancelReceived();
        log.debug("{} - cancel for \"{}\"", name, correlationId);
        Consumer<String> listener = settings.cancelListener();
        if (listener != null) {
            try {
                listener.accept(correlationId);
            } catch (RuntimeException e) {
                log.warn("{} - cancel listener failed for \"{}\"", name, correlationId, e);
            }
        }
    }

    /** Takes an in-flight slot, waiting while all are taken; only the reader thread takes slots. */
    private boolean acquireSlot() throws InterruptedException {
        lock.lock();
        try {
            if (closing || inFlight < settings.maxInFlightEvents()) {
                return takeSlot();
            }
        } finally {
            lock.unlock();
        }
        // The slots free up only once the held calls are sent. Outside the lock: the flush may
        // wait for a worker to read its pipe, and answers need the lock to free a slot.
        FlushBatch.flushCurrent();
        lock.lock();
        try {
            while (inFlight >= settings.maxInFlightEvents() && !closing) {
                slotFree.await();
            }
            return takeSlot();
        } finally {
            lock.unlock();
        }
    }

    /** Under the lock, once a slot is free or the connection is closing. */
    private boolean takeSlot() {
        if (closing) {
            return false;
        }
        inFlight++;
        return true;
    }

    private void releaseSlot() {
        lock.lock();
        try {
            inFlight--;
            slotFree.signal();
            if (inFlight == 0) {
                idle.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    private void closeSocket() {
        try {
            socket.close();
        } catch (IOException e) {
            log.debug("{} - closing the socket failed: {}", name, e.toString());
        }
    }

    private static String typeName(AgentEvent event) {
        return switch (event) {
            case AgentEvent.Unhandled u -> ProxyCodec.typeName(u.type());
            case AgentEvent.Malformed m -> "malformed " + ProxyCodec.typeName(m.type());
            default -> event.getClass().getSimpleName();
        };
    }
}
