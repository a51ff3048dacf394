package io.zentinel.sentinel.lua.supervisor.proxy;

import com.fasterxml.jackson.core.Base64Variant;
import com.fasterxml.jackson.core.Base64Variants;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Base64;

/**
 * Decodes the Base64 JSON string a parser stands on (a body chunk's {@code data}) straight from
 * the payload's bytes, with the JDK's decoder, into one array of the exact size.
 *
 * <p>Why not jackson's {@code getBinaryValue}: it collects the bytes in growing segments and
 * then copies them together, so a 64 KiB body left 2.5 times its size in garbage beside the
 * frame, the largest share of the supervisor's allocation under body traffic.
 *
 * <p>The direct way is taken only where it is certain to read the same string: the parser's
 * token starts with a quote at the reported offset, and the string has no escape. Anything else
 * (an escaped {@code \/}, whitespace or a character outside the alphabet) is left to jackson,
 * which decides as before: padding is allowed but not required, and a bad string is a problem
 * naming the member.
 */
final class Base64String {
    /** Standard alphabet; padding accepted but not required. */
    private static final Base64Variant JACKSON = Base64Variants.MIME_NO_LINEFEEDS
            .withReadPadding(Base64Variant.PaddingReadBehaviour.PADDING_ALLOWED);
    private static final Base64.Decoder JDK = Base64.getDecoder();

    private Base64String() {
    }

    /**
     * The decoded bytes of the current {@link JsonToken#VALUE_STRING}; {@code p} must parse the
     * {@code payloadLength} bytes of {@code payload} from {@code payloadOffset}. The parser stays
     * on the token.
     */
    static byte[] decode(JsonParser p, byte[] payload, int payloadOffset, int payloadLength) throws IOException {
        byte[] direct = decodeDirectly(p, payload, payloadOffset, payloadLength);
        return direct != null ? direct : p.getBinaryValue(JACKSON);
    }

    /** The bytes decoded straight from the payload, or {@code null} where jackson has to decide. */
    static byte[] decodeDirectly(JsonParser p, byte[] payload, int payloadOffset, int payloadLength) {
        int payloadEnd = payloadOffset + payloadLength;
        long quote = payloadOffset + p.currentTokenLocation().getByteOffset();
        if (quote < payloadOffset || quote >= payloadEnd || payload[(int) quote] != '"') {
            return null;
        }
        int start = (int) quote + 1;
        int end = start;
        while (end < payloadEnd && payload[end] != '"' && payload[end] != '\\') {
            end++;
        }
        if (end == payloadEnd || payload[end] != '"') {
            return null;
        }
        try {
            ByteBuffer decoded = JDK.decode(ByteBuffer.wrap(payload, start, end - start));
            return decoded.remaining() == decoded.array().length ? decoded.array() : null;
        } catch (IllegalArgumentException e) {
            return null; // not plain Base64: jackson decides, with its message
        }
    }
}
