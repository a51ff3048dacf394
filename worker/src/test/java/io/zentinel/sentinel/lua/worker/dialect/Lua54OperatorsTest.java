package io.zentinel.sentinel.lua.worker.dialect;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.zentinel.sentinel.lua.worker.sandbox.RunLimits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The translated operators, run in the sandbox, against the values Lua 5.4 gives. */
class Lua54OperatorsTest {
    private final Lua54Runner lua = new Lua54Runner();

    @ParameterizedTest(name = "{0} is {1}")
    @CsvSource(delimiter = ';', textBlock = """
            7 // 2                        ; 3
            -7 // 2                       ; -4
            7 // -2                       ; -4
            7 // -2 == -4                 ; true
            -7 // -2                      ; 3
            7.5 // 2                      ; 3
            7.5 // 2 == 3.0               ; true
            -7.5 // 2                     ; -4
            1.0 // 0                      ; inf
            -1.0 // 0                     ; -inf
            1 // 0.0                      ; inf
            "7" // 2                      ; 3
            math.mininteger // -1 == math.mininteger ; true
            2^53 // 3                     ; 3002399751580330
            3 & 5                         ; 1
            3 | 5                         ; 7
            3 ~ 5                         ; 6
            ~0                            ; -1
            ~5                            ; -6
            0xFF ~ 0x0F                   ; 240
            0xFFFFFFFF & -1               ; 4294967295
            1 << 4                        ; 16
            1 << 31                       ; 2147483648
            256 >> 4                      ; 16
            1 << 63 == math.mininteger    ; true
            -1 >> 1 == math.maxinteger    ; true
            math.maxinteger & 1           ; 1
            -1 >> 63                      ; 1
            1 << 64                       ; 0
            1 << -1                       ; 0
            2 >> -1                       ; 4
            -1 << 70                      ; 0
            1 >> 64                       ; 0
            1 + 2 << 3                    ; 24
            5 & 3 == 1                    ; true
            1 | 2 ~ 3 & 4                 ; 3
            -2 // 2 * 3                   ; -3
            2 ^ 2 // 3                    ; 1
            ~1 ^ 2 & 7                    ; 6
            """)
    void operatorsGiveLua54Values(String expression, String expected) {
        assertEquals(expected, lua.eval(expression));
    }

    @Test
    void negatedOperandsFloorAsLua54() {
        assertEquals("-2", lua.eval("(function() local x = 3 return -x // 2 end)()"));
    }

    @Test
    void integerDivisionByZeroIsAnErrorOnItsLine() {
        assertEquals("test.lua:3: attempt to divide by zero", lua.failure("local a = 1\nlocal b = 0\nreturn a // b"));
    }

    @Test
    void floorDivisionConvertsNumericStringsOnly() {
        assertEquals("test.lua:1: attempt to idiv a 'string' with a 'number'", lua.failure("return 'x' // 2"));
        assertEquals("test.lua:1: attempt to idiv a 'number' with a 'string'", lua.failure("return 2 // '2x'"));
        assertEquals("test.lua:1: attempt to perform arithmetic on a table value", lua.failure("return {} // 2"));
    }

    @Test
    void bitwiseOperatorsNeedIntegers() {
        assertEquals("test.lua:1: number has no integer representation", lua.failure("return 1.5 & 1"));
        assertEquals("test.lua:1: number has no integer representation", lua.failure("return 1 << 2^64"));
        assertEquals("test.lua:2: attempt to perform bitwise operation on a table value",
                lua.failure("local t = {}\nreturn ~t"));
        assertEquals("test.lua:1: attempt to perform bitwise operation on a string value",
                lua.failure("return '1.5' | 0"));
        assertEquals("test.lua:1: attempt to perform bitwise operation on a string value",
                lua.failure("return 1 & '3'"));
        assertEquals("test.lua:1: attempt to perform bitwise operation on a string value",
                lua.failure("return 1 .. 2 << 1"));
        assertEquals("test.lua:1: attempt to perform bitwise operation on a nil value", lua.failure("return 1 ~ x"));
        assertEquals("test.lua:1: attempt to perform arithmetic on a boolean value", lua.failure("return true // 1"));
    }

    @Test
    void bitwiseResultsBeyondTheExactRangeOfNumbersAreErrors() {
        assertEquals("test.lua:1: result of '>>' (144115188075855871) does not fit the 53-bit precision of numbers "
                + "in this agent", lua.failure("return -1 >> 7"));
        assertEquals("test.lua:1: result of '~' (-1152921504606846977) does not fit the 53-bit precision of "
                + "numbers in this agent", lua.failure("return ~(1 << 60)"));
        assertEquals("9007199254740992 4611686018427387904 -4611686018427387904",
                lua.eval("(1 << 53) .. ' ' .. (1 << 62) .. ' ' .. (-1 << 62)"), "powers of two are exact");
    }

    @Test
    void aQuotientBeyondTheExactRangeIsRoundedLikeOtherArithmetic() {
        assertEquals("true", lua.eval("2^60 // 3 == math.floor(2^60 / 3)"));
    }

    @Test
    void metamethodsHandleWhatIsNotANumber() {
        assertEquals("idiv 2 band 3 bnot bnot shl", lua.values("""
                local mt = {
                  __idiv = function(a, b) return "idiv " .. b end,
                  __band = function(a, b) return "band " .. a end,
                  __bnot = function(a, b) return rawequal(a, b) and "bnot" or "?" end,
                  __shl = function() return "shl" end,
                }
                local v = setmetatable({}, mt)
                return (v // 2) .. " " .. (3 & v) .. " " .. ~v .. " " .. (~v == "bnot" and "bnot" or "") .. " " .. (1 << v)
                """).arg1().tojstring());
    }

    @Test
    void operatorsWorkInsideNestedFunctionsAndCoroutines() {
        assertEquals("9 8", lua.values("""
                local function outer(n)
                  local function inner(m) return m | 1 end
                  return inner(n << 3)
                end
                local co = coroutine.wrap(function(x) coroutine.yield(x // 2) end)
                return outer(1) .. " " .. co(17)
                """).arg1().tojstring());
    }

    @Test
    void theOperatorTableIsOutOfReach() {
        assertEquals("1 nil nil", lua.values("local x = 1 // 1\nlocal name = '__lua' .. '54'\n"
                + "return x .. ' ' .. tostring(_ENV[name]) .. ' ' .. tostring(rawget(_G, name))").arg1().tojstring());
    }

    @Test
    void loadTranslatesItsChunksToo() {
        assertEquals("3 true", lua.values("""
                local f = load("return 7 // 2, (1 << 63) == math.mininteger")
                local a, b = f()
                return a .. " " .. tostring(b)
                """).arg1().tojstring());
    }

    @Test
    void aTranslatedChunkKeepsItsVarargs() {
        assertEquals("3 2", lua.values("""
                local f = load("local n = select('#', ...) return n + (1 // 1), (...)")
                local a, b = f(2, 9)
                return a .. " " .. b
                """).arg1().tojstring());
    }

    @Test
    void aTranslatedLoopStillEndsAtTheInstructionLimit() {
        Lua54Runner limited = new Lua54Runner(RunLimits.defaults().withMaxInstructions(5_000));
        assertEquals("instructions (5001) exceeds the maximum allowed (5000, from 'resource-limits.max-instructions')",
                limited.failure("local x = 0\nwhile true do x = (x + 1) & 0xFF end"));
    }

    @Test
    void loadReportsUnsupportedSyntaxWithItsPosition() {
        assertEquals("nil|[string \"chunk\"]:2: to-be-closed variables (<close>) are not supported", lua.values("""
                local f, err = load("local a = 1\\nlocal b <close> = a", "chunk")
                return tostring(f) .. "|" .. err
                """).arg1().tojstring());
    }

    @Test
    void aRuntimeErrorAfterATranslatedLineKeepsItsLine() {
        assertEquals("test.lua:4: attempt to index ? (a nil value)",
                lua.failure("local t = nil\nlocal x = 8 >> 1\n  // 2\nreturn t.field"));
    }

    @Test
    void anErrorInAMultiLineOperationIsReportedWhereItsLeftOperandStarts() {
        assertEquals("test.lua:2: attempt to divide by zero", lua.failure("local a = 1\nreturn a\n  //\n  0"));
    }
}
