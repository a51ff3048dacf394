package io.zentinel.sentinel.lua.protocol.frame;

/**
 * A length prefix above the limit; thrown before anything is allocated for the frame. When the
 * four prefix bytes are all printable ASCII the message also gives them as text: a peer that
 * writes text instead of frames (an HTTP client on the proxy socket, a JVM message on a worker's
 * stdout) is then recognisable at once ("GET ", "Term", "#\n# ").
 */
public final class FrameTooLargeException extends FrameException {
    private static final long serialVersionUID = 1L;

    private final long length;

    public FrameTooLargeException(long length, FrameLimits limits) {
        super("frame length (" + length + ") exceeds the maximum allowed ("
                + limits.maxFrameBytes() + ", from '" + limits.source() + "')" + asText(length));
        this.length = length;
    }

    public long length() {
        return length;
    }

    /** {@code ; its bytes read "GET " as text} when all four prefix bytes are printable ASCII, else empty. */
    private static String asText(long length) {
        StringBuilder text = new StringBuilder();
        for (int shift = 24; shift >= 0; shift -= 8) {
            int b = (int) (length >>> shift) & 0xFF;
            switch (b) {
                case '\n' -> text.append("\\n");
                case '\r' -> text.append("\\r");
                case '\t' -> text.append("\\t");
                case '"', '\\' -> text.append('\\').append((char) b);
                default -> {
                    if (b < 0x20 || b > 0x7E) {
                        return "";
                    }
                    text.append((char) b);
                }
            }
        }
        return "; its bytes read \"" + text + "\" as text, so the peer writes text, not frames";
    }
}
