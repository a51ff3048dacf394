package io.zentinel.sentinel.lua.worker.lua.lib;

import java.io.IOException;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import io.zentinel.sentinel.lua.worker.sandbox.ExecutionGuard;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaInteger;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;

/** One {@code json.decode} call: JSON text (UTF-8 bytes) to Lua values. */
final class JsonDecoder {

    private static final String FN = "json.decode";
    private static final int DEADLINE_CHECK_INTERVAL = 1024;
    private static final Pattern JACKSON_KNOB = Pattern.compile(", from `[^`]*`");
    private static final Pattern JACKSON_SOURCE =
            Pattern.compile("\\[Source: [^;\\]]*; line: (\\d+), column: (\\d+)\\]");

    private final JsonFactory factory;
    private final ExecutionGuard guard;
    private final int maxDepth;
    private final long maxDocumentBytes;
    private final LuaValue nullValue;
    private final LuaTable arrayMarker;
    private int tokens;

    JsonDecoder(JsonFactory factory, ExecutionGuard guard, int maxDepth, long maxDocumentBytes,
            LuaValue nullValue, LuaTable arrayMarker) {
        this.factory = factory;
        this.guard = guard;
        this.maxDepth = maxDepth;
        this.maxDocumentBytes = maxDocumentBytes;
        this.nullValue = nullValue;
        this.arrayMarker = arrayMarker;
    }

    LuaValue decode(LuaString text) {
        if (text.m_length > maxDocumentBytes) {
            throw new LuaError(FN + ": document length (" + text.m_length
                    + ") exceeds the maximum allowed (" + maxDocumentBytes + ")");
        }
        checkInput(text);
        try (JsonParser p = factory.createParser(text.m_bytes, text.m_offset, text.m_length)) {
            JsonToken first = p.nextToken();
            if (first == null) {
                throw new LuaError(FN + ": no JSON value in the input");
            }
            LuaValue result = value(p, first, 0);
            if (p.nextToken() != null) {
                throw new LuaError(FN + ": unexpected content after the top-level value" + at(p.currentLocation()));
            }
            return result;
        } catch (StreamConstraintsException e) {
            throw new LuaError(FN + ": " + lowerFirst(JACKSON_KNOB.matcher(e.getOriginalMessage()).replaceAll("")));
        } catch (JsonProcessingException e) {
            String message = JACKSON_SOURCE.matcher(e.getOriginalMessage()).replaceAll("line $1, column $2");
            throw new LuaError(FN + ": " + message + at(e.getLocation()));
        } catch (IOException e) {
            throw new LuaError(FN + ": " + e.getMessage());
        }
    }

    /**
     * Rejects input that is not UTF-8 before jackson sees it: jackson would otherwise accept some
     * ill-formed sequences (overlongs, encoded surrogates), and guess UTF-16/32 for input that
     * starts with NUL bytes. A raw NUL is never valid JSON, so this changes no valid input.
     */
    private static void checkInput(LuaString text) {
        byte[] b = text.m_bytes;
        for (int i = text.m_offset, end = i + text.m_length; i < end; i++) {
            if (b[i] == 0) {
                throw new LuaError(FN + ": invalid NUL byte at position " + (i - text.m_offset + 1));
            }
        }
        int bad = Utf8Codec.firstInvalid(b, text.m_offset, text.m_length);
        if (bad >= 0) {
            throw new LuaError(FN + ": input is not valid UTF-8 (invalid byte at position " + (bad + 1) + ")");
        }
    }

    private LuaValue value(JsonParser p, JsonToken token, int depth) throws IOException {
        if (++tokens % DEADLINE_CHECK_INTERVAL == 0) {
            guard.checkDeadline();
        }
        switch (token) {
            case START_OBJECT:
                return object(p, depth + 1);
            case START_ARRAY:
                return array(p, depth + 1);
            case VALUE_STRING:
                return string(p, p.getText());
            case VALUE_NUMBER_INT:
                return integer(p);
            case VALUE_NUMBER_FLOAT:
                return finite(p, p.getDoubleValue());
            case VALUE_TRUE:
                return LuaValue.TRUE;
            case VALUE_FALSE:
                return LuaValue.FALSE;
            case VALUE_NULL:
                return nullValue;
            default:
                throw new LuaError(FN + ": unexpected token " + token + at(p.currentLocation()));
        }
    }

    private LuaTable object(JsonParser p, int depth) throws IOException {
        checkDepth(depth);
        LuaTable t = new LuaTable();
        long entries = 0;
        JsonToken token;
        while ((token = p.nextToken()) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            LuaValue key = string(p, name);
            if (!t.rawget(key).isnil()) {
                throw new LuaError(FN + ": duplicate key \"" + name + "\"" + at(p.currentTokenLocation()));
            }
            LuaValue v = value(p, p.nextToken(), depth);
            guard.checkTableSize(++entries);
            t.rawset(key, v);
        }
        expect(p, token, JsonToken.END_OBJECT);
        return t;
    }

    private LuaTable array(JsonParser p, int depth) throws IOException {
        checkDepth(depth);
        LuaTable t = new LuaTable();
        int n = 0;
        JsonToken token;
        while ((token = p.nextToken()) != JsonToken.END_ARRAY) {
            if (token == null) {
                expect(p, null, JsonToken.END_ARRAY);
            }
            LuaValue v = value(p, token, depth);
            guard.checkTableSize(n + 1L);
            t.rawset(++n, v);
        }
        t.setmetatable(arrayMarker);
        return t;
    }

    private void checkDepth(int depth) {
        if (depth > maxDepth) {
            throw new LuaError(FN + ": nesting depth (" + depth + ") exceeds the maximum allowed (" + maxDepth + ")");
        }
    }

    private static void expect(JsonParser p, JsonToken actual, JsonToken expected) {
        if (actual != expected) {
            // jackson reports truncated input itself; this is a backstop
            throw new LuaError(FN + ": expected " + expected + " but found " + actual + at(p.currentLocation()));
        }
    }

    private static LuaValue string(JsonParser p, String s) {
        if (LuaBytes.hasLoneSurrogate(s)) {
            throw new LuaError(FN + ": string contains an unpaired UTF-16 surrogate escape"
                    + at(p.currentTokenLocation()));
        }
        return LuaBytes.utf8(s);
    }

    private static LuaValue integer(JsonParser p) throws IOException {
        switch (p.getNumberType()) {
            case INT:
                return LuaValue.valueOf(p.getIntValue());
            case LONG:
                return LuaInteger.valueOf(p.getLongValue());
            default:
                return finite(p, p.getDoubleValue());
        }
    }

    private static LuaValue finite(JsonParser p, double d) {
        if (Double.isInfinite(d) || Double.isNaN(d)) {
            throw new LuaError(FN + ": number out of range" + at(p.currentLocation()));
        }
        return LuaValue.valueOf(d);
    }

    private static String at(JsonLocation loc) {
        if (loc == null || loc.getLineNr() < 1) {
            return "";
        }
        return " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
    }

    private static String lowerFirst(String s) {
        return s.isEmpty() ? s : Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }
}
