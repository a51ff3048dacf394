package io.zentinel.sentinel.lua.protocol.frame;

/** A length prefix above the limit; thrown before anything is allocated for the frame. */
public final class FrameTooLargeException extends FrameException {
    private static final long serialVersionUID = 1L;

    private final long length;

    public FrameTooLargeException(long length, FrameLimits limits) {
        super("frame length (" + length + ") exceeds the maximum allowed ("
                + limits.maxFrameBytes() + ", from '" + limits.source() + "')");
        this.length = length;
    }

    public long length() {
        return length;
    }
}
