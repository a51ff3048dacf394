package io.zentinel.sentinel.lua.worker.dialect;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code math.tointeger}, {@code math.type}, {@code math.ult} and the integer limits in the sandbox. */
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
    }

    @Test
    void theMathTableStaysReadOnly() {
        assertEquals("table is read-only",
                lua.values("return select(2, pcall(function() math.tointeger = nil end))").arg1().tojstring()
                        .replaceFirst("^test.lua:\\d+: ", ""));
    }
}
