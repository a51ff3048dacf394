package io.zentinel.sentinel.lua.worker.dialect;

/**
 * One conversion specification of {@code string.format}, {@code %[flags][width][.precision]c},
 * read and checked as Lua 5.4 does: at most two digits of width and of precision, and only the
 * flags the conversion allows.
 *
 * @param text       the specification as written, with its {@code %} (for error messages)
 * @param flags      the flag characters given, from {@code "-+ #0"}
 * @param width      the minimum width, 0 when none is given
 * @param precision  the precision, -1 when none is given
 * @param conversion the conversion character
 */
record FormatSpec(String text, String flags, int width, int precision, char conversion) {

    /** Flags, width and precision: what Lua 5.4's {@code getformat} spans before the conversion. */
    private static final String SPAN = "-+ #0123456789.";
    /** Lua 5.4 refuses specifications this long ({@code MAX_FORMAT - 10}). */
    private static final int MAX_SPAN = 22;
    /** {@code %c} without flags, width or precision, for every ASCII {@code c}: the common case, read once. */
    private static final FormatSpec[] PLAIN = new FormatSpec[128];

    static {
        for (char c = 0; c < PLAIN.length; c++) {
            PLAIN[c] = new FormatSpec("%" + c, "", 0, -1, c);
        }
    }

    /**
     * Reads the specification after the {@code %} at {@code start} of {@code format}; its
     * length is {@code text().length() - 1}. Nothing is checked against the conversion yet.
     */
    static FormatSpec read(byte[] format, int start, int end) {
        if (start < end && format[start] >= 0 && SPAN.indexOf(format[start]) < 0) {
            return PLAIN[format[start]];
        }
        int i = start;
        while (i < end && SPAN.indexOf(format[i]) >= 0) {
            i++;
        }
        if (i - start + 1 >= MAX_SPAN) {
            throw new org.luaj.vm2.LuaError("invalid format string to 'format'");
        }
        char conversion = i < end ? (char) (format[i] & 0xFF) : '\0';
        String text = "%" + new String(format, start, Math.min(i + 1, end) - start,
                java.nio.charset.StandardCharsets.ISO_8859_1);
        int j = start;
        while (j < i && "-+ #0".indexOf(format[j]) >= 0) {
            j++;
        }
        String flags = new String(format, start, j - start, java.nio.charset.StandardCharsets.ISO_8859_1);
        int width = 0;
        while (j < i && Character.isDigit(format[j])) {
            width = width * 10 + format[j++] - '0';
        }
        int precision = -1;
        if (j < i && format[j] == '.') {
            j++;
            precision = 0;
            while (j < i && Character.isDigit(format[j])) {
                precision = precision * 10 + format[j++] - '0';
            }
        }
        return new FormatSpec(text, flags, width, precision, conversion);
    }

    /**
     * Lua 5.4's {@code checkformat}: only {@code allowed} flags, no width starting with 0, at
     * most two digits of width and (where {@code precisionAllowed}) of precision.
     */
    void check(String allowed, boolean precisionAllowed) {
        if (text.length() == 2) {
            return;
        }
        String body = text.substring(1, text.length() - 1);
        int i = 0;
        while (i < body.length() && allowed.indexOf(body.charAt(i)) >= 0) {
            i++;
        }
        boolean ok = true;
        if (i < body.length() && body.charAt(i) == '0') {
            ok = false;
        } else {
            i = skipTwoDigits(body, i);
            if (i < body.length() && body.charAt(i) == '.' && precisionAllowed) {
                i = skipTwoDigits(body, i + 1);
            }
            ok = i == body.length();
        }
        if (!ok) {
            throw new org.luaj.vm2.LuaError("invalid conversion specification: '" + text + "'");
        }
    }

    private static int skipTwoDigits(String s, int i) {
        for (int n = 0; n < 2 && i < s.length() && Character.isDigit(s.charAt(i)); n++) {
            i++;
        }
        return i;
    }

    boolean has(char flag) {
        return flags.indexOf(flag) >= 0;
    }

    /**
     * {@code body} padded to the width: on the right with {@code -}; else with zeros after the
     * first {@code prefixLength} characters (sign, {@code 0x}) when {@code zeros}; else with
     * spaces on the left.
     */
    String pad(String body, int prefixLength, boolean zeros) {
        int missing = width - body.length();
        if (missing <= 0) {
            return body;
        }
        if (has('-')) {
            return body + " ".repeat(missing);
        }
        if (zeros) {
            return body.substring(0, prefixLength) + "0".repeat(missing) + body.substring(prefixLength);
        }
        return " ".repeat(missing) + body;
    }
}
