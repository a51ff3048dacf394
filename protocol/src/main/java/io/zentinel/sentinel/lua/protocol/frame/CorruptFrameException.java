package io.zentinel.sentinel.lua.protocol.frame;

/** A zero length prefix, or a stream that ended inside a frame. */
public final class CorruptFrameException extends FrameException {
    private static final long serialVersionUID = 1L;

    public CorruptFrameException(String message) {
        super(message);
    }
}
