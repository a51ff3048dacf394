package io.zentinel.sentinel.lua.supervisor.proxy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Finds {@code "correlation_id":"…"} in a payload that is not valid JSON, so that even a broken
 * event can be answered under its id (spec §10). It tracks strings and nesting only, which is
 * enough to tell a top-level member from a nested one ({@code metadata.correlation_id}) in a
 * payload that is broken somewhere else. Not on the hot path: used only after a parse failed.
 */
final class CorrelationIdScanner {
    private static final byte[] KEY = "correlation_id".getBytes(StandardCharsets.US_ASCII);

    /** The first top-level id and the first nested id found; either may be {@code null}. */
    record Found(String topLevel, String nested) {
    }

    private CorrelationIdScanner() {
    }

    static Found scan(JsonFactory json, byte[] buf, int offset, int length) {
        String top = null;
        String nested = null;
        int end = offset + length;
        int depth = 0;
        int i = offset;
        while (i < end && top == null) {
            byte b = buf[i];
            if (b == '"') {
                int close = stringEnd(buf, i, end);
                if (close < 0) {
                    break;
                }
                int after = skipSpace(buf, close + 1, end);
                if (after < end && buf[after] == ':' && isKey(buf, i + 1, close)) {
                    int valueStart = skipSpace(buf, after + 1, end);
                    if (valueStart < end && buf[valueStart] == '"') {
                        int valueEnd = stringEnd(buf, valueStart, end);
                        if (valueEnd < 0) {
                            break;
                        }
                        String id = decodeString(json, buf, valueStart, valueEnd - valueStart + 1);
                        if (id != null) {
                            if (depth == 1) {
                                top = id;
                            } else if (nested == null) {
                                nested = id;
                            }
                        }
                        i = valueEnd + 1;
                        continue;
                    }
                }
                i = close + 1;
                continue;
            }
            if (b == '{' || b == '[') {
                depth++;
            } else if (b == '}' || b == ']') {
                depth--;
            }
            i++;
        }
        return new Found(top, nested);
    }

    /** Index of the quote closing the string that opens at {@code open}, or -1. */
    private static int stringEnd(byte[] buf, int open, int end) {
        for (int i = open + 1; i < end; i++) {
            if (buf[i] == '\\') {
                i++;
            } else if (buf[i] == '"') {
                return i;
            }
        }
        return -1;
    }

    private static int skipSpace(byte[] buf, int i, int end) {
        while (i < end && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' || buf[i] == '\r')) {
            i++;
        }
        return i;
    }

    private static boolean isKey(byte[] buf, int from, int to) {
        if (to - from != KEY.length) {
            return false;
        }
        for (int k = 0; k < KEY.length; k++) {
            if (buf[from + k] != KEY[k]) {
                return false;
            }
        }
        return true;
    }

    /** The value of one JSON string literal (escapes resolved), or {@code null} if it is invalid. */
    private static String decodeString(JsonFactory json, byte[] buf, int offset, int length) {
        try (JsonParser p = json.createParser(buf, offset, length)) {
            return p.nextToken() == JsonToken.VALUE_STRING ? p.getText() : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
