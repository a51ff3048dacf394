package io.zentinel.sentinel.lua.worker.lua.lib;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.zentinel.sentinel.lua.worker.sandbox.ExecutionGuard;
import io.zentinel.sentinel.lua.worker.sandbox.LuaArgs;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;

/**
 * The Lua {@code http} module: URL percent-encoding, query strings, cookies and status reason
 * phrases. Everything works on bytes: decoded values may be any bytes, not only UTF-8.
 */
public final class HttpLib extends LuaModule {

    private static final byte[] HEX_UPPER = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);

    public HttpLib(ExecutionGuard guard) {
        super(guard);
    }

    @Override
    public String moduleName() {
        return "http";
    }

    @Override
    void define(LuaTable module) {
        function(module, "url_encode", args -> urlEncode(LuaArgs.string(args, 1, "http.url_encode")));
        function(module, "url_decode", args -> urlDecode(LuaArgs.string(args, 1, "http.url_decode")));
        function(module, "parse_query", this::parseQuery);
        function(module, "build_query", this::buildQuery);
        function(module, "parse_cookies", this::parseCookies);
        function(module, "status_text", args -> {
            String reason = HttpStatus.reason(LuaArgs.integer(args, 1, "http.status_text"));
            return reason == null ? LuaValue.NIL : LuaValue.valueOf(reason);
        });
    }

    /** RFC 3986: unreserved characters ({@code A-Z a-z 0-9 - . _ ~}) stay, every other byte becomes {@code %XX}. */
    private LuaString urlEncode(LuaString s) {
        guard.checkStringLength(encodedLength(s));
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.m_length + 16);
        appendEncoded(out, s);
        return LuaBytes.wrap(out.toByteArray());
    }

    private static long encodedLength(LuaString s) {
        long n = 0;
        for (int i = s.m_offset, end = i + s.m_length; i < end; i++) {
            n += unreserved(s.m_bytes[i]) ? 1 : 3;
        }
        return n;
    }

    private static void appendEncoded(ByteArrayOutputStream out, LuaString s) {
        for (int i = s.m_offset, end = i + s.m_length; i < end; i++) {
            byte b = s.m_bytes[i];
            if (unreserved(b)) {
                out.write(b);
            } else {
                out.write('%');
                out.write(HEX_UPPER[(b >> 4) & 0xF]);
                out.write(HEX_UPPER[b & 0xF]);
            }
        }
    }

    private static boolean unreserved(byte b) {
        return (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9')
                || b == '-' || b == '.' || b == '_' || b == '~';
    }

    /**
     * {@code +} becomes a space and {@code %XX} (either case) its byte. A {@code %} that is not
     * followed by two hex digits is kept as it is, as the WHATWG URL standard's percent-decode does.
     */
    private static LuaString urlDecode(LuaString s) {
        return LuaBytes.wrap(urlDecode(s.m_bytes, s.m_offset, s.m_offset + s.m_length));
    }

    private static byte[] urlDecode(byte[] b, int from, int to) {
        byte[] out = new byte[to - from];
        int n = 0;
        for (int i = from; i < to; i++) {
            byte c = b[i];
            if (c == '+') {
                out[n++] = ' ';
            } else if (c == '%' && i + 2 < to && hex(b[i + 1]) >= 0 && hex(b[i + 2]) >= 0) {
                out[n++] = (byte) (hex(b[i + 1]) << 4 | hex(b[i + 2]));
                i += 2;
            } else {
                out[n++] = c;
            }
        }
        return Arrays.copyOf(out, n);
    }

    private static int hex(byte c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    private Varargs parseQuery(Varargs args) {
        LuaString q = LuaArgs.optString(args, 1, "http.parse_query");
        LuaTable result = new LuaTable();
        if (q == null) {
            return result;
        }
        byte[] b = q.m_bytes;
        int start = q.m_offset;
        int end = start + q.m_length;
        if (start < end && b[start] == '?') {
            start++;
        }
        long keys = 0;
        for (int[] piece : split(b, start, end, (byte) '&')) {
            int from = piece[0];
            int to = piece[1];
            if (from == to) {
                continue;
            }
            int eq = indexOf(b, from, to, (byte) '=');
            LuaString key = LuaBytes.wrap(urlDecode(b, from, eq < 0 ? to : eq));
            LuaString value = eq < 0 ? LuaValue.EMPTYSTRING : LuaBytes.wrap(urlDecode(b, eq + 1, to));
            LuaValue existing = result.rawget(key);
            if (existing.isnil()) {
                guard.checkTableSize(++keys);
                result.rawset(key, value);
            } else if (existing.istable()) {
                LuaTable list = (LuaTable) existing;
                guard.checkTableSize(list.rawlen() + 1L);
                list.rawset(list.rawlen() + 1, value);
            } else {
                LuaTable list = new LuaTable();
                list.rawset(1, existing);
                list.rawset(2, value);
                result.rawset(key, list);
            }
        }
        return result;
    }

    private Varargs buildQuery(Varargs args) {
        String fn = "http.build_query";
        LuaTable t = LuaArgs.table(args, 1, fn);
        List<LuaString[]> pairs = new ArrayList<>();
        LuaValue k = LuaValue.NIL;
        while (true) {
            Varargs next = t.next(k);
            k = next.arg1();
            if (k.isnil()) {
                break;
            }
            if (!k.isstring()) {
                throw new LuaError(fn + ": cannot use a key of type " + k.typename());
            }
            LuaString key = k.checkstring();
            LuaValue v = next.arg(2);
            if (v.istable()) {
                LuaTable list = (LuaTable) v;
                int n = list.rawlen();
                if (list.keyCount() != n) {
                    throw new LuaError(fn + ": value for key \"" + key.tojstring()
                            + "\" must be a list (keys 1..n), not a table with other keys");
                }
                for (int i = 1; i <= n; i++) {
                    pairs.add(new LuaString[] {key, scalar(fn, key, list.rawget(i))});
                }
            } else {
                pairs.add(new LuaString[] {key, scalar(fn, key, v)});
            }
        }
        // stable sort: the values of one key keep their list order
        pairs.sort((a, b) -> JsonEncoder.compareBytes(a[0], b[0]));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (LuaString[] pair : pairs) {
            if (out.size() > 0) {
                out.write('&');
            }
            appendEncoded(out, pair[0]);
            out.write('=');
            appendEncoded(out, pair[1]);
            guard.checkStringLength(out.size());
        }
        return LuaBytes.wrap(out.toByteArray());
    }

    private static LuaString scalar(String fn, LuaString key, LuaValue v) {
        if (v.isstring()) {
            return v.checkstring();
        }
        if (v.isboolean()) {
            return LuaValue.valueOf(v.toboolean() ? "true" : "false");
        }
        throw new LuaError(fn + ": value for key \"" + key.tojstring() + "\" must be a string, number, boolean"
                + " or a list of them (got " + v.typename() + ")");
    }

    /**
     * {@code a=1; b="two"} to {@code {a = "1", b = "two"}}: names and values are trimmed, one pair
     * of surrounding double quotes is removed, a piece without {@code =} is a name with an empty
     * value, a piece with an empty name is skipped, and the first of repeated names wins. Values
     * are not percent-decoded (RFC 6265 gives them no encoding).
     */
    private Varargs parseCookies(Varargs args) {
        LuaString header = LuaArgs.optString(args, 1, "http.parse_cookies");
        LuaTable result = new LuaTable();
        if (header == null) {
            return result;
        }
        byte[] b = header.m_bytes;
        long count = 0;
        for (int[] piece : split(b, header.m_offset, header.m_offset + header.m_length, (byte) ';')) {
            int eq = indexOf(b, piece[0], piece[1], (byte) '=');
            int[] name = trim(b, piece[0], eq < 0 ? piece[1] : eq);
            if (name[0] == name[1]) {
                continue;
            }
            LuaString key = LuaString.valueOf(b, name[0], name[1] - name[0]);
            if (!result.rawget(key).isnil()) {
                continue;
            }
            LuaString value = LuaValue.EMPTYSTRING;
            if (eq >= 0) {
                int[] v = trim(b, eq + 1, piece[1]);
                if (v[1] - v[0] >= 2 && b[v[0]] == '"' && b[v[1] - 1] == '"') {
                    v[0]++;
                    v[1]--;
                }
                value = LuaString.valueOf(b, v[0], v[1] - v[0]);
            }
            guard.checkTableSize(++count);
            result.rawset(key, value);
        }
        return result;
    }

    private static List<int[]> split(byte[] b, int from, int to, byte separator) {
        List<int[]> pieces = new ArrayList<>();
        int start = from;
        for (int i = from; i <= to; i++) {
            if (i == to || b[i] == separator) {
                pieces.add(new int[] {start, i});
                start = i + 1;
            }
        }
        return pieces;
    }

    private static int indexOf(byte[] b, int from, int to, byte c) {
        for (int i = from; i < to; i++) {
            if (b[i] == c) {
                return i;
            }
        }
        return -1;
    }

    private static int[] trim(byte[] b, int from, int to) {
        while (from < to && (b[from] == ' ' || b[from] == '\t')) {
            from++;
        }
        while (to > from && (b[to - 1] == ' ' || b[to - 1] == '\t')) {
            to--;
        }
        return new int[] {from, to};
    }
}
