package io.zentinel.sentinel.lua.supervisor.bench;

import io.zentinel.sentinel.lua.supervisor.proxy.ProxyCodec;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * What the load generator sends: RequestHeaders events for a mix of requests, or
 * RequestBodyChunk events carrying a whole buffered body, as the proxy sends a body it inspects.
 *
 * @param kind      the event type
 * @param requests  method and URI of the RequestHeaders events, used in turn (at least one)
 * @param headers   request headers per RequestHeaders event (plus x-correlation-id)
 * @param bodyBytes body length of the RequestBodyChunk events (0 for RequestHeaders)
 */
public record Workload(Kind kind, List<Request> requests, int headers, int bodyBytes) {

    /** The event type sent. */
    public enum Kind {
        REQUEST_HEADERS(ProxyCodec.REQUEST_HEADERS, "RequestHeaders"),
        REQUEST_BODY(ProxyCodec.REQUEST_BODY_CHUNK, "RequestBodyChunk");

        private final int type;
        private final String wireName;

        Kind(int type, String wireName) {
            this.type = type;
            this.wireName = wireName;
        }

        public int type() {
            return type;
        }

        /** The spec's name of the event. */
        public String wireName() {
            return wireName;
        }
    }

    /** One request line: {@code GET /api/users?id=42}. */
    public record Request(String method, String uri) {
        public Request {
            if (method == null || method.isBlank() || uri == null || !uri.startsWith("/")) {
                throw new IllegalArgumentException("a request needs a method and a URI starting with / (was "
                        + method + " " + uri + ")");
            }
        }

        /** Parses {@code "METHOD URI"}. */
        public static Request parse(String line) {
            String[] parts = line.trim().split("\\s+");
            if (parts.length != 2) {
                throw new IllegalArgumentException("a request is \"METHOD URI\", e.g. \"GET /api/users?id=42\" (was \""
                        + line + "\")");
            }
            return new Request(parts[0].toUpperCase(Locale.ROOT), parts[1]);
        }

        @Override
        public String toString() {
            return method + " " + uri;
        }
    }

    /** Largest body this generator sends: the proxy's default inspection cap (1 MiB). */
    public static final int MAX_BODY_BYTES = 1024 * 1024;

    public Workload {
        requests = List.copyOf(requests);
        if (requests.isEmpty()) {
            throw new IllegalArgumentException("need at least one request");
        }
        if (headers < 0 || headers > 1000) {
            throw new IllegalArgumentException("headers must be between 0 and 1000 (was " + headers + ")");
        }
        if (kind == Kind.REQUEST_BODY && (bodyBytes < 1 || bodyBytes > MAX_BODY_BYTES)) {
            throw new IllegalArgumentException("body bytes must be between 1 and " + MAX_BODY_BYTES
                    + " for body events (was " + bodyBytes + ")");
        }
        if (kind == Kind.REQUEST_HEADERS && bodyBytes != 0) {
            throw new IllegalArgumentException("body bytes apply to body events only (was " + bodyBytes + ")");
        }
    }

    /** RequestHeaders for one request. */
    public static Workload headers(String method, String uri, int headers) {
        return new Workload(Kind.REQUEST_HEADERS, List.of(new Request(method, uri)), headers, 0);
    }

    /** A source of event payloads for this workload; each connection has its own. */
    Events events() {
        return new Events(this);
    }

    /** The payload size of one event, in bytes (the first one for a request mix). */
    public int eventBytes() {
        return new Events(this).next(LoadIds.id(0, 0)).length;
    }

    /** One line for the setup: what an event is. */
    public String describe() {
        return switch (kind) {
            case REQUEST_HEADERS -> "RequestHeaders with " + headers + " headers, "
                    + (requests.size() == 1 ? requests.get(0).toString() : requests.size() + " requests in turn "
                    + requests);
            case REQUEST_BODY -> "RequestBodyChunk with a " + bodyBytes + "-byte body (one event per body, "
                    + "Base64 as the proxy sends it)";
        };
    }

    /**
     * Builds the payloads. Body events reuse one buffer in which only the correlation id changes
     * (ids from {@link LoadIds} all have the same length), so a 64 KiB body costs no allocation
     * per event: the returned array is valid until the next call. Not thread-safe.
     */
    static final class Events {
        private final Workload workload;
        private final byte[] body;
        private final int idOffset;
        private int next;

        private Events(Workload workload) {
            this.workload = workload;
            if (workload.kind == Kind.REQUEST_BODY) {
                String placeholder = LoadIds.id(0, 0);
                this.body = EventTemplate.requestBodyChunk(placeholder,
                        EventTemplate.base64(EventTemplate.body(workload.bodyBytes)), workload.bodyBytes);
                this.idOffset = new String(body, 0, 200, StandardCharsets.US_ASCII).indexOf(placeholder);
            } else {
                this.body = null;
                this.idOffset = -1;
            }
        }

        byte type() {
            return (byte) workload.kind.type();
        }

        /** The payload of the next event, with correlation id {@code id} (of {@link LoadIds}' length). */
        byte[] next(String id) {
            if (body != null) {
                if (id.length() != LoadIds.LENGTH) {
                    throw new IllegalArgumentException("correlation id of " + id.length() + " characters, need "
                            + LoadIds.LENGTH);
                }
                for (int i = 0; i < id.length(); i++) {
                    body[idOffset + i] = (byte) id.charAt(i);
                }
                return body;
            }
            Request request = workload.requests.get(next);
            next = (next + 1) % workload.requests.size();
            return EventTemplate.requestHeaders(id, request.method(), request.uri(), workload.headers);
        }
    }
}
