package io.zentinel.sentinel.lua.supervisor.proxy;

import java.util.List;

/**
 * The proxy's first frame on a connection (agent protocol v2, §3.1, type 0x01).
 *
 * @param supportedVersions  protocol versions the proxy speaks (unsigned 32-bit values)
 * @param proxyId            e.g. {@code "zentinel-proxy"}; {@code null} when absent
 * @param proxyVersion       e.g. {@code "0.6.20"}; {@code null} when absent
 * @param supportedEncodings payload encodings offered, in preference order; {@code null} when
 *                           absent, which means JSON only
 */
public record HandshakeRequest(List<Long> supportedVersions, String proxyId, String proxyVersion,
                               List<String> supportedEncodings) {

    public HandshakeRequest {
        supportedVersions = List.copyOf(supportedVersions);
        supportedEncodings = supportedEncodings == null ? null : List.copyOf(supportedEncodings);
    }

    /** Whether the proxy speaks protocol {@code version}. */
    public boolean supportsVersion(long version) {
        return supportedVersions.contains(version);
    }

    /** Whether JSON payloads were offered (an absent {@code supported_encodings} means JSON only). */
    public boolean offersJson() {
        return supportedEncodings == null || supportedEncodings.contains("json");
    }
}
