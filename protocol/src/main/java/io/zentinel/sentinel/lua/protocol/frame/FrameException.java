package io.zentinel.sentinel.lua.protocol.frame;

import java.io.IOException;

/** A stream that cannot be split into frames any more; the connection or pipe must be closed. */
public class FrameException extends IOException {
    private static final long serialVersionUID = 1L;

    public FrameException(String message) {
        super(message);
    }
}
