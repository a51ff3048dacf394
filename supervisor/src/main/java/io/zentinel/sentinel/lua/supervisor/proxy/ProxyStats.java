package io.zentinel.sentinel.lua.supervisor.proxy;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of the proxy-facing side, shared by the listener and all its connections. Updated on
 * the hot path with {@link LongAdder}s; {@link #snapshot()} reads them (not atomically as a
 * whole, which is fine for metrics).
 */
public final class ProxyStats {
    private static final int FIRST_EVENT = ProxyCodec.REQUEST_HEADERS;
    private static final int EVENT_TYPES = ProxyCodec.CONFIGURE - ProxyCodec.REQUEST_HEADERS + 1;

    private final LongAdder connectionsAccepted = new LongAdder();
    private final LongAdder connectionsOpen = new LongAdder();
    private final LongAdder handshakesRefused = new LongAdder();
    private final LongAdder[] events = new LongAdder[EVENT_TYPES];
    private final LongAdder inFlight = new LongAdder();
    private final LongAdder responses = new LongAdder();
    private final LongAdder responseWriteFailures = new LongAdder();
    private final LongAdder malformed = new LongAdder();
    private final LongAdder fallbacks = new LongAdder();
    private final LongAdder pings = new LongAdder();
    private final LongAdder cancels = new LongAdder();
    private final LongAdder ignoredFrames = new LongAdder();
    private final LongAdder protocolErrors = new LongAdder();

    public ProxyStats() {
        for (int i = 0; i < events.length; i++) {
            events[i] = new LongAdder();
        }
    }

    /**
     * A point-in-time copy of the counters.
     *
     * @param connectionsAccepted   connections accepted since start
     * @param connectionsOpen       connections currently open
     * @param handshakesRefused     handshakes answered with {@code success:false}
     * @param eventsByType          events received, by the spec's type name (RequestHeaders …)
     * @param inFlight              events received but not answered yet
     * @param responses             AgentResponse frames written
     * @param responseWriteFailures responses that could not be written (connection gone)
     * @param malformed             events whose payload could not be decoded (still answered)
     * @param fallbacks             events answered by the fallback because the handler failed
     * @param pings                 Ping frames answered with Pong
     * @param cancels               Cancel frames received
     * @param ignoredFrames         valid frames of a type the agent does not expect
     * @param protocolErrors        connections closed for a framing error or unknown type byte
     */
    public record Snapshot(long connectionsAccepted, long connectionsOpen, long handshakesRefused,
                           Map<String, Long> eventsByType, long inFlight, long responses,
                           long responseWriteFailures, long malformed, long fallbacks, long pings,
                           long cancels, long ignoredFrames, long protocolErrors) {

        /** Events received, all types together. */
        public long events() {
            return eventsByType.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    public Snapshot snapshot() {
        Map<String, Long> byType = new LinkedHashMap<>();
        for (int i = 0; i < events.length; i++) {
            byType.put(ProxyCodec.typeName(FIRST_EVENT + i), events[i].sum());
        }
        return new Snapshot(connectionsAccepted.sum(), connectionsOpen.sum(), handshakesRefused.sum(),
                Collections.unmodifiableMap(byType), inFlight.sum(), responses.sum(),
                responseWriteFailures.sum(), malformed.sum(), fallbacks.sum(), pings.sum(), cancels.sum(),
                ignoredFrames.sum(), protocolErrors.sum());
    }

    void connectionAccepted() {
        connectionsAccepted.increment();
    }

    void connectionOpened() {
        connectionsOpen.increment();
    }

    void connectionClosed() {
        connectionsOpen.decrement();
    }

    void handshakeRefused() {
        handshakesRefused.increment();
    }

    void eventReceived(int type) {
        events[type - FIRST_EVENT].increment();
        inFlight.increment();
    }

    void eventMalformed() {
        malformed.increment();
    }

    void eventFellBack() {
        fallbacks.increment();
    }

    /** The event's answer was written ({@code written}) or could not be; either way it is no longer in flight. */
    void eventFinished(boolean written) {
        inFlight.decrement();
        if (written) {
            responses.increment();
        } else {
            responseWriteFailures.increment();
        }
    }

    void pingAnswered() {
        pings.increment();
    }

    void cancelReceived() {
        cancels.increment();
    }

    void frameIgnored() {
        ignoredFrames.increment();
    }

    void protocolError() {
        protocolErrors.increment();
    }
}
