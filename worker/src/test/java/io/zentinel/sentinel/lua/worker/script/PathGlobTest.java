package io.zentinel.sentinel.lua.worker.script;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class PathGlobTest {

    private static void matches(String glob, List<String> yes, List<String> no) {
        PathGlob g = PathGlob.parse(glob);
        for (String path : yes) {
            assertTrue(g.matches(path), glob + " should match " + path);
        }
        for (String path : no) {
            assertFalse(g.matches(path), glob + " should not match " + path);
        }
    }

    @Test
    void aSingleStarMatchesWithinOneSegment() {
        matches("/api/*", List.of("/api/users", "/api/", "/api/a.b"), List.of("/api", "/api/users/1", "/apix/y"));
        matches("/api/*/items", List.of("/api/v1/items"), List.of("/api/v1/v2/items", "/api/items"));
        matches("/files/*.json", List.of("/files/a.json"), List.of("/files/a.jsonx", "/files/d/a.json"));
    }

    @Test
    void aDoubleStarMatchesAnything() {
        matches("/admin/**", List.of("/admin", "/admin/", "/admin/users/1"), List.of("/administrator", "/adm", "/"));
        matches("/a/**/z", List.of("/a/z", "/a/b/z", "/a/b/c/z"), List.of("/a/b/zz", "/az"));
        matches("/static/**.css", List.of("/static/x.css", "/static/a/b.css"), List.of("/static/x.js"));
    }

    @Test
    void everythingPatternsMatchEveryPath() {
        for (String glob : List.of("*", "**", "/**")) {
            matches(glob, List.of("/", "/a", "/a/b/c"), List.of());
            assertTrue(PathGlob.parse(glob).matchesAll());
        }
    }

    @Test
    void literalsMatchExactlyAndRegexCharactersAreLiteral() {
        matches("/health", List.of("/health"), List.of("/health/", "/Health", "/healthz"));
        matches("/a.b/(x)+/*", List.of("/a.b/(x)+/y"), List.of("/aXb/(x)+/y", "/a.b/xx/y"));
    }

    @Test
    void invalidPatternsAreRejectedWithTheReason() {
        assertEquals("empty path pattern", assertThrows(IllegalArgumentException.class, () -> PathGlob.parse("")).getMessage());
        assertEquals("path pattern 'api' must start with '/'",
                assertThrows(IllegalArgumentException.class, () -> PathGlob.parse("api")).getMessage());
        assertEquals("path pattern '/a b' contains whitespace or a control character",
                assertThrows(IllegalArgumentException.class, () -> PathGlob.parse("/a b")).getMessage());
    }
}
