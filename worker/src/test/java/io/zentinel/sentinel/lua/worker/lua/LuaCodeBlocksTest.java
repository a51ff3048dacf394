package io.zentinel.sentinel.lua.worker.lua;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import io.zentinel.sentinel.lua.worker.lua.LuaCodeBlocks.Block;
import io.zentinel.sentinel.lua.worker.lua.LuaCodeBlocks.Check;
import org.junit.jupiter.api.Test;

/** The checks of {@link DocumentedExamplesTest} catch what they must: wrong values, checks that never run, wrong decisions. */
class LuaCodeBlocksTest {

    private static Block only(String markdown) {
        List<Block> blocks = LuaCodeBlocks.parse("doc.md", markdown);
        assertEquals(1, blocks.size());
        return blocks.getFirst();
    }

    private static List<String> run(String lua) {
        return ExampleRunner.run(only("Text\n\n```lua\n" + lua + "```\n"));
    }

    @Test
    void findsLuaBlocksWithTheirLineAndIndentationAndSkipsOthers() {
        List<Block> blocks = LuaCodeBlocks.parse("doc.md", """
                # Title

                ```java
                int x;
                ```

                - a list item:

                  ```lua
                  local x = 1
                    local y = 2
                  ```
                <!-- not run -->
                ```lua
                request:get_header("name")
                ```
                """);
        assertEquals(2, blocks.size());
        assertEquals("doc.md:10", blocks.get(0).toString());
        assertEquals("local x = 1\n  local y = 2\n", blocks.get(0).text());
        assertTrue(blocks.get(0).run());
        assertFalse(blocks.get(1).run());
    }

    @Test
    void readsChecksButNotArrowsInsideStringsOrLongComments() {
        List<Check> checks = LuaCodeBlocks.checks("""
                local s = "-->" .. '-->' --> "-->-->"  -- a note
                --[[ a block comment
                f() --> 1
                ]] local t = [[
                x --> 2 ]] --> "x --> 2 "
                --> decision: block  403 "Forbidden"
                f() --> decision: allow
                """);
        assertEquals(List.of(
                new Check(1, "local s = \"-->\" .. '-->' ", "\"-->-->\"", false),
                new Check(5, "x --> 2 ]] ", "\"x --> 2 \"", false),
                new Check(6, "", "block 403 \"Forbidden\"", true),
                new Check(7, "f() ", "allow", true)), checks);
    }

    @Test
    void correctValuesPass() {
        assertEquals(List.of(), run("""
                local n = #"abc"                        --> 3
                local a, b = string.find("hello", "l")  --> 3, 3
                local t = {1, {x = "y"}}                --> {1, {x = "y"}}
                string.format("%d-%s", 7, "x")          --> "7-x"
                assert(json.decode("[null]")[1] == json.null)  -- not a check
                local null = json.decode("[null]")[1]   --> json.null
                """));
    }

    @Test
    void aWrongValueFailsItsBlockNamingTheLine() {
        assertEquals(List.of("doc.md:5: gave 3, the block says 4"), run("""
                local a = 1
                local n = #"abc" --> 4
                """));
        assertEquals(List.of("doc.md:4: gave {1, {x = \"y\"}}, the block says {1, {x = \"z\"}}"),
                run("local t = {1, {x = \"y\"}} --> {1, {x = \"z\"}}\n"));
        assertEquals(List.of("doc.md:4: gave 3, 3, the block says 3"), run("string.find(\"hello\", \"l\") --> 3\n"));
        assertEquals(List.of("doc.md:4: gave \"1\", the block says 1"), run("tostring(1) --> 1\n"));
    }

    @Test
    void aCheckThatNeverRunsFails() {
        assertEquals(List.of("doc.md:5: this check never ran (local x = tostring(1))"), run("""
                if false then
                    local x = tostring(1) --> "1"
                end
                """));
    }

    @Test
    void checksInsideHooksRunAgainstTheExampleTransaction() {
        assertEquals(List.of(), run("""
                function on_request_headers(request)
                    request:get_path()  --> "/api/users"
                    sentinel.ctx.user = request:get_header("X-User") --> "alice"
                end
                function on_response_body(response, body)
                    local user = sentinel.ctx.user  --> "alice"
                    response:get_status()           --> 201
                end
                """));
        assertEquals(List.of("doc.md:5: gave \"/api/users\", the block says \"/api\""),
                run("""
                function on_request_headers(request)
                    request:get_path()  --> "/api"
                end
                """));
    }

    @Test
    void decisionsAreComparedDuringTheHookAndForTheTransaction() {
        String script = """
                function on_request_headers(request)
                    sentinel.set_decision("block")  --> decision: block 403 "Forbidden"
                    sentinel.set_decision("allow")
                    --> decision: allow
                    sentinel.set_decision("block", 401, "Unauthorized")
                end
                """;
        assertEquals(List.of(), run(script + "--> decision: block 401 \"Unauthorized\"\n"));
        assertEquals(List.of("doc.md:10: the agent decided block 401 \"Unauthorized\", the block says block 403"),
                run(script + "--> decision: block 403\n"));
        assertEquals(List.of("doc.md:5: the decision so far is block 403 \"Forbidden\", the block says allow"),
                run(script.replace("--> decision: block 403 \"Forbidden\"", "--> decision: allow")));
        assertEquals(List.of("doc.md:4: a decision after the script needs a script with hook functions"),
                run("--> decision: allow\n"));
    }

    @Test
    void aBlockMustCompileAsWrittenAndChecksMustBeCallsOrAssignments() {
        // Lua reports the line where it notices, the one after "x"
        assertEquals(List.of("doc.md:5: does not compile as written: syntax error"), run("x --> 1\nlocal y = 1\n"));
        assertEquals(List.of(), run("local x = 1 --> 1\n"));
    }

    @Test
    void errorsOfTheBlockAreReported() {
        List<String> problems = run("error('boom')\n");
        assertEquals(1, problems.size());
        assertTrue(problems.getFirst().contains("top-level code failed") && problems.getFirst().contains("boom"),
                problems.toString());
    }
}
