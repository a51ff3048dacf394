package io.zentinel.sentinel.lua.worker.dialect;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The Lua 5.4 additions to {@code math} in the sandbox; the values are Lua 5.4.4's. */
class Lua54MathTest {
    private final Lua54Runner lua = new Lua54Runner();

    @ParameterizedTest(name = "{0} is {1}")
    @CsvSource(delimiter = ';', textBlock = """
            math.type(1)                       ; integer
            math.type(-3)                      ; integer
            math.type(1.5)                     ; float
            math.type(1e100)                   ; float
            math.type(0/0)                     ; float
            math.type(math.huge)               ; float
            math.type(2^53)                    ; integer
            math.type(7 // 2)                  ; integer
            math.type(math.maxinteger)         ; integer
            math.type(math.mininteger)         ; integer
            math.type("1")                     ; nil
            math.type({})                      ; nil
            math.type(nil)                     ; nil
            math.tointeger(3)                  ; 3
            math.tointeger(3.0)                ; 3
            math.tointeger(-2^31)              ; -2147483648
            math.tointeger(3.5)                ; nil
            math.tointeger("8")                ; 8
            math.tointeger("0x10")             ; 16
            math.tointeger("8.5")              ; nil
            math.tointeger("x")                ; nil
            math.tointeger({})                 ; nil
            math.tointeger(2^64)               ; nil
            math.tointeger(0/0)                ; nil
            math.maxinteger                    ; 9223372036854775807
            math.mininteger                    ; -9223372036854775808
            math.mininteger == -2^63           ; true
            math.maxinteger + 0.0 == 2^63      ; true
            math.ult(1, 2)                     ; true
            math.ult(1, -1)                    ; true
            math.ult(-1, 1)                    ; false
            math.ult(math.maxinteger, math.mininteger) ; true
            math.atan(1, -1) == 3 * math.pi / 4 ; true
            math.atan(-1, -1) == -3 * math.pi / 4 ; true
            math.atan(1) == math.pi / 4        ; true
            math.log(8, 2)                     ; 3
            math.log(100, 10)                  ; 2
            math.log(27, 3) - 3 < 1e-12        ; true
            math.log(1)                        ; 0
            """)
    void mathFunctionsFollowTheIntegerRule(String expression, String expected) {
        assertEquals(expected, lua.eval(expression));
    }

    @Test
    void argumentsAreChecked() {
        assertEquals("bad argument #1 to 'tointeger' (value expected)",
                lua.values("return select(2, pcall(math.tointeger))").arg1().tojstring());
        assertEquals("bad argument #1 to 'type' (value expected)",
                lua.values("return select(2, pcall(math.type))").arg1().tojstring());
        assertEquals("bad argument #2 to 'ult' (number has no integer representation)",
                lua.values("return select(2, pcall(math.ult, 1, 1.5))").arg1().tojstring());
        assertEquals("bad argument #1 to 'ult' (number expected, got table)",
                lua.values("return select(2, pcall(math.ult, {}, 1))").arg1().tojstring());
        assertEquals("bad argument #1 to 'log' (number expected, got no value)",
                lua.values("return select(2, pcall(math.log))").arg1().tojstring());
    }

    @Test
    void theMathTableStaysReadOnly() {
        assertEquals("table is read-only",
                lua.values("return select(2, pcall(function() math.tointeger = nil end))").arg1().tojstring()
                        .replaceFirst("^test.lua:\\d+: ", ""));
    }
}
