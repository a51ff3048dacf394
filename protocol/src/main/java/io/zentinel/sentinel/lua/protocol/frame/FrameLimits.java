package io.zentinel.sentinel.lua.protocol.frame;

/**
 * The largest frame a reader accepts, and the configuration key (or rule) it comes from, so that
 * a rejection names the knob an operator can turn.
 *
 * @param maxFrameBytes largest accepted value of the 4-byte length prefix
 * @param source        where the maximum comes from, e.g. {@code agent protocol v2}
 */
public record FrameLimits(int maxFrameBytes, String source) {

    /** Sentinel agent protocol v2: the length prefix (type byte included) is at most 16 MiB. */
    public static final FrameLimits PROXY_V2 = new FrameLimits(16 * 1024 * 1024, "agent protocol v2");

    public FrameLimits {
        if (maxFrameBytes < 1) {
            throw new IllegalArgumentException("maxFrameBytes must be >= 1 (was " + maxFrameBytes + ")");
        }
        if (source == null || source.isBlank()) {
            throw new IllegalArgumentException("source must name where the limit comes from");
        }
    }
}
