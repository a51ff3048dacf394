package io.zentinel.sentinel.lua.worker.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.zentinel.sentinel.lua.protocol.v1.FailureKind;
import org.junit.jupiter.api.Test;

/** resource-limits.max-table-entries where scripts build tables themselves: assignments, globals, constructors. */
class TableLimitTest {
    private static final String OVER_100 =
            "table size (101) exceeds the maximum allowed (100, from 'resource-limits.max-table-entries')";

    private final LuaRunner lua = new LuaRunner(RunLimits.defaults().withMaxTableEntries(100));

    @Test
    void indexedAssignmentsStopAtTheLimit() {
        assertEquals(OVER_100, lua.failure(FailureKind.TABLE_LIMIT, "local t = {} for i = 1, 1e6 do t[i] = i end"));
    }

    @Test
    void keyedAssignmentsStopAtTheLimit() {
        assertEquals(OVER_100, lua.failure(FailureKind.TABLE_LIMIT,
                "local t = {} for i = 1, 1e6 do t['k' .. i] = true end"));
        assertEquals(OVER_100, lua.failure(FailureKind.TABLE_LIMIT,
                "local t = {} for i = 1, 1e6 do t[i + 0.5] = i end"));
    }

    @Test
    void fieldAssignmentsWithConstantKeysAreCounted() {
        StringBuilder source = new StringBuilder("local t = {}\n");
        for (int i = 1; i <= 150; i++) {
            source.append("t.f").append(i).append(" = ").append(i).append('\n');
        }
        assertEquals(OVER_100, lua.failure(FailureKind.TABLE_LIMIT, source.toString()));
    }

    @Test
    void globalAssignmentsStopAtTheLimit() {
        // the script environment is a table like any other: _ENV[k] = v is a SETTABUP
        String message = lua.failure(FailureKind.TABLE_LIMIT, "for i = 1, 1e6 do _ENV['g' .. i] = i end");
        assertEquals(true, message.startsWith("table size ("), message);
    }

    @Test
    void tableConstructorsAreCounted() {
        assertEquals("table size (200) exceeds the maximum allowed (100, from 'resource-limits.max-table-entries')",
                lua.failure(FailureKind.TABLE_LIMIT, "local s = ('x'):rep(200) local t = { s:byte(1, -1) }"));
        StringBuilder literal = new StringBuilder("local t = {");
        for (int i = 0; i < 150; i++) {
            literal.append(i).append(',');
        }
        lua.failure(FailureKind.TABLE_LIMIT, literal.append("}").toString());
    }

    @Test
    void rawsetIsCountedToo() {
        assertEquals(OVER_100, lua.failure(FailureKind.TABLE_LIMIT,
                "local t = {} for i = 1, 1e6 do rawset(t, i, i) end"));
        assertEquals("name", lua.text("local t = {} rawset(t, 'k', 'name') return t.k"));
    }

    @Test
    void pcallCannotSwallowTheTableLimit() {
        assertEquals(OVER_100, lua.failure(FailureKind.TABLE_LIMIT,
                "pcall(function() local t = {} for i = 1, 1e6 do t[i] = i end end) return 'escaped'"));
    }

    @Test
    void tablesUpToTheLimitAreFine() {
        assertEquals("100", lua.text("local t = {} for i = 1, 100 do t[i] = i end return #t"));
        assertEquals("100", lua.text("local t = {} for i = 1, 100 do t['k' .. i] = i end "
                + "local n = 0 for _ in pairs(t) do n = n + 1 end return n"));
    }

    @Test
    void replacingAndRemovingEntriesDoesNotGrowTheTable() {
        assertEquals("100", lua.text("local t = {} for i = 1, 100 do t[i] = i end "
                + "for round = 1, 50 do for i = 1, 100 do t[i] = i * round end end return #t"));
        // churn: remove one key, add another, many times over
        assertEquals("100", lua.text("local t = {} for i = 1, 100 do t['k' .. i] = i end "
                + "for i = 101, 5000 do t['k' .. (i - 100)] = nil t['k' .. i] = i end "
                + "local n = 0 for _ in pairs(t) do n = n + 1 end return n"));
    }

    @Test
    void newindexMetamethodsAreNotCountedAsEntries() {
        assertEquals("1000", lua.text("local n = 0 local t = setmetatable({}, {__newindex = function() n = n + 1 end}) "
                + "for i = 1, 100 do rawset(t, i, i) end for i = 101, 1100 do t[i] = i end return n"));
    }

    @Test
    void theDefaultLimitIsTenThousandEntries() {
        LuaRunner defaults = new LuaRunner(RunLimits.defaults().withTimes(10_000, 10_000));
        assertEquals("10000", defaults.text("local t = {} for i = 1, 10000 do t[i] = i end return #t"));
        assertEquals("table size (10001) exceeds the maximum allowed (10000, from "
                        + "'resource-limits.max-table-entries')",
                defaults.failure(FailureKind.TABLE_LIMIT, "local t = {} for i = 1, 1e7 do t[i] = i end"));
    }

    @Test
    void fillingALargeTableCostsNoMoreThanASmallOne() {
        LuaRunner defaults = new LuaRunner(RunLimits.defaults().withTimes(10_000, 10_000));
        String fill = "local t = {} for i = 1, 10000 do t[i] = i end for i = 1, 10000 do t[i] = nil end return #t";
        for (int i = 0; i < 20; i++) {
            defaults.text(fill); // warm-up
        }
        long start = System.nanoTime();
        for (int i = 0; i < 20; i++) {
            assertEquals("0", defaults.text(fill));
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        System.out.println("20 fills of 10,000 entries: " + ms + " ms");
        assertEquals(true, ms < 2_000, ms + " ms");
    }

    @Test
    void everyTableIsLimitedOnItsOwn() {
        assertEquals("10000", lua.text("local all = {} for i = 1, 100 do local t = {} "
                + "for j = 1, 100 do t[j] = j end all[i] = t end local n = 0 "
                + "for i = 1, #all do n = n + #all[i] end return n"));
    }
}
