package io.zentinel.sentinel.lua.supervisor.proxy;

import java.util.Map;

/** What the agent tells the proxy to do with the request (agent protocol v2, §8). */
public sealed interface Decision {

    Allow ALLOW = new Allow();

    /** Continue; encoded as the string {@code "allow"}. */
    record Allow() implements Decision {
    }

    /**
     * Answer the client with {@code status} instead of forwarding.
     *
     * @param body    response body text, or {@code null}
     * @param headers response headers, or {@code null}
     */
    record Block(int status, String body, Map<String, String> headers) implements Decision {
        public Block {
            if (status < 100 || status > 599) {
                throw new IllegalArgumentException("block status must be 100..599 (was " + status + ")");
            }
            headers = headers == null ? null : Map.copyOf(headers);
        }
    }

    /** Send the client to {@code url} with a 3xx {@code status}. */
    record Redirect(String url, int status) implements Decision {
        public Redirect {
            if (url == null || url.isEmpty()) {
                throw new IllegalArgumentException("redirect url must not be empty");
            }
            if (status < 300 || status > 399) {
                throw new IllegalArgumentException("redirect status must be 300..399 (was " + status + ")");
            }
        }
    }
}
