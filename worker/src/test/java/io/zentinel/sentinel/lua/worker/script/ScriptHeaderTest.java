package io.zentinel.sentinel.lua.worker.script;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Set;

import io.zentinel.sentinel.lua.protocol.v1.Hook;
import io.zentinel.sentinel.lua.protocol.v1.ScriptProblem;
import org.junit.jupiter.api.Test;

/** The {@code -- key: value} metadata at the top of a script. */
class ScriptHeaderTest {

    private static ScriptHeader header(String source) {
        ScriptHeader.Parsed parsed = ScriptHeader.parse("auth.lua", source);
        assertEquals(List.of(), parsed.problems());
        return parsed.header();
    }

    /** The single problem of {@code source}, as "line: reason". */
    private static String problem(String source) {
        ScriptHeader.Parsed parsed = ScriptHeader.parse("auth.lua", source);
        assertNull(parsed.header());
        assertEquals(1, parsed.problems().size(), parsed.problems()::toString);
        ScriptProblem p = parsed.problems().get(0);
        assertEquals("auth.lua", p.getFileName());
        return p.getLine() + ": " + p.getReason();
    }

    @Test
    void everyKeyIsRead() {
        ScriptHeader h = header("""
                -- name: my-script
                -- version: 1.0.0
                -- hook: request_headers, on_response_headers
                -- paths: /api/*, /admin/**
                -- methods: get, Post
                -- priority: -5
                -- author: Ops Team
                -- description: an example
                function on_request_headers(request) end
                """);
        assertEquals("my-script", h.name());
        assertEquals("1.0.0", h.version());
        assertEquals(Set.of(Hook.REQUEST_HEADERS, Hook.RESPONSE_HEADERS), h.hooks());
        assertEquals(3, h.hookLine());
        assertEquals(List.of("/api/*", "/admin/**"), h.paths().stream().map(PathGlob::toString).toList());
        assertEquals(Set.of("GET", "POST"), h.methods());
        assertEquals(-5, h.priority());
    }

    @Test
    void defaultsApplyWithoutAHeader() {
        ScriptHeader h = header("function on_request_headers(request) end\n");
        assertEquals("auth", h.name());
        assertEquals("", h.version());
        assertEquals(Set.of(), h.hooks());
        assertEquals(0, h.hookLine());
        assertEquals(List.of(), h.paths());
        assertEquals(Set.of(), h.methods());
        assertEquals(ScriptHeader.DEFAULT_PRIORITY, h.priority());
        assertEquals(true, h.allPaths());
    }

    @Test
    void aliasesAndCaseAreAccepted() {
        ScriptHeader h = header("-- Hooks: ON_REQUEST_BODY,request_body_chunk\n-- PATH: /x\n-- Method: *\n-- Name:n\n");
        assertEquals(Set.of(Hook.REQUEST_BODY, Hook.REQUEST_BODY_CHUNK), h.hooks());
        assertEquals("n", h.name());
        assertEquals(Set.of(), h.methods());
        assertEquals(List.of("/x"), h.paths().stream().map(PathGlob::toString).toList());
    }

    @Test
    void proseCommentsAndLaterCommentsAreNotMetadata() {
        ScriptHeader h = header("""
                #!/usr/bin/env lua
                -- Blocks admin pages. See https://example.com/docs for details.
                -- name: prose
                -- Remember the priority below

                -- priority: nonsense after the header ends
                local x = 1 -- methods: not metadata either
                """);
        assertEquals("prose", h.name());
        assertEquals(ScriptHeader.DEFAULT_PRIORITY, h.priority());
    }

    @Test
    void anUnknownKeyIsAProblemWithItsLine() {
        assertEquals("2: unknown metadata key 'nmae' (known: name, version, hook, paths, methods, priority, author, "
                + "description)", problem("-- name: x\n-- nmae: y\n"));
    }

    @Test
    void aRepeatedKeyIsAProblem() {
        assertEquals("3: metadata key 'hooks' repeated (first on line 1)",
                problem("-- hook: request_headers\n-- name: x\n-- hooks: response_headers\n"));
    }

    @Test
    void badValuesAreProblemsWithTheirLine() {
        assertEquals("1: priority 'high' is not an integer", problem("-- priority: high\n"));
        assertEquals("1: priority '99999999999' is not an integer", problem("-- priority: 99999999999\n"));
        assertEquals("2: 'request_header' is not a hook (expected one of request_headers, request_body_chunk, "
                + "request_body, response_headers, response_body, optionally with the on_ prefix)",
                problem("-- name: x\n-- hook: request_header\n"));
        assertEquals("1: '' is not a hook (expected one of request_headers, request_body_chunk, request_body, "
                + "response_headers, response_body, optionally with the on_ prefix)",
                problem("-- hook: request_headers,,response_headers\n"));
        assertEquals("1: path pattern 'api/*' must start with '/'", problem("-- paths: /x, api/*\n"));
        assertEquals("1: path pattern '/a/***' has more than two '*' in a row", problem("-- paths: /a/***\n"));
        assertEquals("1: 'GE T' is not an HTTP method", problem("-- methods: GE T\n"));
        assertEquals("1: metadata key 'name' has no value", problem("-- name:\n"));
        assertEquals("1: name must be at most 128 printable characters", problem("-- name: " + "n".repeat(129) + "\n"));
    }

    @Test
    void everyProblemOfAHeaderIsReported() {
        ScriptHeader.Parsed parsed = ScriptHeader.parse("x.lua", "-- priority: a\n-- methods: 1\n-- colour: red\n");
        assertEquals(List.of(1, 2, 3), parsed.problems().stream().map(ScriptProblem::getLine).toList());
    }
}
