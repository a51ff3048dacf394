package io.zentinel.sentinel.lua.worker.dialect;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code string.format} in the sandbox against the results of Lua 5.4.4 for the same calls
 * ({@code ok <result>} or {@code err <message>} of a {@code pcall}).
 */
class Lua54FormatTest {
    /** Call, then what Lua 5.4.4 gives. */
    private static final String VECTORS = """
            string.format("%d", 3.0) => ok 3
            string.format("%d", 3.5) => err bad argument #2 to 'format' (number has no integer representation)
            string.format("%d", "3") => ok 3
            string.format("%d", "3.5") => err bad argument #2 to 'format' (number has no integer representation)
            string.format("%d", {}) => err bad argument #2 to 'format' (number expected, got table)
            string.format("%d") => err bad argument #2 to 'format' (no value)
            string.format("%d", 2^31) => ok 2147483648
            string.format("%d", 2^53) => ok 9007199254740992
            string.format("%d", -2^63) => ok -9223372036854775808
            string.format("%5d|%-5d|%05d|%+d|% d|%.3d|%.0d", 42, 42, 42, 42, 42, 7, 0) => ok    42|42   |00042|+42| 42|007|
            string.format("%x|%X|%#x|%#o|%o|%x", 255, 255, 255, 8, 8, -1) => ok ff|FF|0xff|010|10|ffffffffffffffff
            string.format("%u", 42) => ok 42
            string.format("%c%c%c", 76, 117, 97) => ok Lua
            string.format("%5c|%-3c|", 65, 66) => ok     A|B  |
            string.format("%5.1f|%05.1f|%-8.3f|%+.2f|% f", 3, 2.5, 1/3, 2.675, 1) => ok   3.0|002.5|0.333   |+2.67| 1.000000
            string.format("%f|%.0f|%#.0f|%.20f", 0.1, 2.5, 2.5, 0.1) => ok 0.100000|2|2.|0.10000000000000000555
            string.format("%e|%E|%.3e|%.0e|%#.0e", 12345.678, 0.5, 0.000123456, 15, 15) => ok 1.234568e+04|5.000000E-01|1.235e-04|2e+01|2.e+01
            string.format("%g|%g|%g|%g|%g|%g", 100000, 1000000, 1e-5, 0.0001, 1/3, 0) => ok 100000|1e+06|1e-05|0.0001|0.333333|0
            string.format("%.14g|%.17g|%#g|%G|%.0g|%.3g", 1/3, 0.1, 1, 1e-10, 123, 99.95) => ok 0.33333333333333|0.10000000000000001|1.00000|1E-10|1e+02|100
            string.format("%a|%a|%a|%a|%A|%.2a|%.0a|%.0a", 1, 3, 0.1, 0, 255.5, 1/3, 1.5, 2.5) => ok 0x1p+0|0x1.8p+1|0x1.999999999999ap-4|0x0p+0|0X1.FFP+7|0x1.55p-2|0x2p+0|0x1p+1
            string.format("%a", 2^-1074) => ok 0x0.0000000000001p-1022
            string.format("%f|%e|%g|%5.1f|%E", 1/0, -1/0, 0/0, 1/0, 1/0) => ok inf|-inf|nan|  inf|INF
            string.format("%s|%s|%s|%10s|%-5s|%.2s", nil, true, setmetatable({}, {__tostring=function() return "T" end}), "abc", "x", "hello") => ok nil|true|T|       abc|x    |he
            string.format("%s", 12) => ok 12
            string.format("%q", 1/3) => ok 0x1.5555555555555p-2
            string.format("%q|%q|%q|%q|%q", 42, math.mininteger, 1/0, -1/0, 0/0) => ok 42|0x8000000000000000|1e9999|-1e9999|(0/0)
            string.format("%q", {}) => err bad argument #2 to 'format' (value has no literal form)
            string.format("%5q", "x") => err specifier '%q' cannot have modifiers
            string.format("%y", 1) => err invalid conversion '%y' to 'format'
            string.format("%F", 1) => err invalid conversion '%F' to 'format'
            string.format("%ld", 1) => err invalid conversion '%l' to 'format'
            string.format("%", 1) => err invalid conversion '%' to 'format'
            string.format("%100d", 1) => err invalid conversion specification: '%100d'
            string.format("%5.100f", 1) => err invalid conversion specification: '%5.100f'
            string.format("%#d", 1) => err invalid conversion specification: '%#d'
            string.format("%05s", "x") => err invalid conversion specification: '%05s'
            string.format("%.3c", 65) => err invalid conversion specification: '%.3c'
            string.format("%-+ #0123d", 1) => err invalid conversion specification: '%-+ #0123d'
            string.format("%5s", "a\\0b") => err bad argument #2 to 'format' (string contains zeros)
            string.format("%.3s", ("x"):rep(200)) => ok xxx
            string.format("%-10.3s|", "abcdef") => ok abc       |
            string.format("%5.2s|", "abc") => ok    ab|
            string.format("%p|%p", nil, 1) => ok (null)|(null)
            string.format("%%|%5%") => err bad argument #2 to 'format' (no value)
            string.format("%.99f", 1e308):len() => ok 409
            string.format("%99.99e", -1e-300) => ok -1.000000000000000025059091835208759685696146807703705249925342319900466043184051484676302812181950101e-300
            string.format("%.2f|%.2f|%.1f|%.1f|%.0f|%.0f|%.0f", 0.125, 0.375, 0.25, 0.35, 0.5, 1.5, 3.5) => ok 0.12|0.38|0.2|0.3|0|2|4
            string.format("%.15g|%.16g|%.17g|%.15g|%.16g", 0.1, 0.1, 0.1, 1/3, 1/3) => ok 0.1|0.1|0.10000000000000001|0.333333333333333|0.3333333333333333
            string.format("%e|%.3e|%.20e|%g", 5e-324, 1e23, 1e23, 1e23) => ok 4.940656e-324|1.000e+23|9.99999999999999916114e+22|1e+23
            string.format("%.3f|%.10f|%f|%.15f", 1e15 + 0.3, 123456.789, 2^60, 1/3) => ok 1000000000000000.250|123456.7890000000|1152921504606846976.000000|0.333333333333333
            string.format("%g|%g|%g|%.1g|%.2g", 123456, 1234567, 0.00001234, 0.05, 0.095) => ok 123456|1.23457e+06|1.234e-05|0.05|0.095
            string.format("%10.4g|%-10.2e|%+.3g|%010.3f|% 012.4e", math.pi, -math.pi, 1e-20, -math.pi, 2.5e10) => ok      3.142|-3.14e+00 |+1e-20|-00003.142| 02.5000e+10
            string.format("%.99g", 0.1):len() => ok 57
            string.format("%5.3s|%.0s|%x|%X|%o", "abcdef", "abc", 3.0, 2^40, 2^33) => ok   abc||3|10000000000|100000000000
            string.format("%i|%5.3d|%-+6d|%06.2d", -7, 5, 5, -3) => ok -7|  005|+5    |   -03
            """;

    private final Lua54Runner lua = new Lua54Runner();

    static Stream<Arguments> vectors() {
        return VECTORS.lines().map(line -> {
            int arrow = line.indexOf(" => ");
            return Arguments.of(line.substring(0, arrow), line.substring(arrow + 4));
        });
    }

    private String pcall(String call) {
        return lua.values("local ok, v = pcall(function() return " + call + " end)\n"
                + "if ok then return 'ok ' .. tostring(v) end\n"
                + "return 'err ' .. (tostring(v):gsub('^[^:]*:%d+: ', ''))").arg1().tojstring();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void formatsAsLua54(String call, String expected) {
        assertEquals(expected, pcall(call));
    }

    @Test
    void quotedStringsEscapeAsLua54() {
        assertEquals("ok \"a\\\nb\\0c\\13\\\"\\\\\\1272\"", pcall("string.format('%q', 'a\\nb\\0c\\r\"\\\\\\1272')"));
    }

    @Test
    void aStringWithZerosIsWrittenWholeWithoutModifiers() {
        assertEquals("ok a\0b", pcall("string.format('%s', 'a\\0b')"));
    }

    @Test
    void aLongStringIgnoresTheWidthAsLua54Does() {
        assertEquals("ok 150", pcall("#string.format('%99s', ('x'):rep(150))"));
        assertEquals("ok 99", pcall("#string.format('%99s', ('x'):rep(50))"));
    }
}
