package io.zentinel.sentinel.lua.worker.script;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import io.zentinel.sentinel.lua.protocol.v1.Hook;
import io.zentinel.sentinel.lua.protocol.v1.ScriptSource;
import org.junit.jupiter.api.Test;

class ScriptSelectorTest {

    /** A selector over scripts given as file name and header lines; every script implements {@code hooks}. */
    private static ScriptSelector selector(Set<Hook> hooks, String... filesAndHeaders) {
        List<ScriptSource> sources = new ArrayList<>();
        for (int i = 0; i < filesAndHeaders.length; i += 2) {
            sources.add(ScriptSource.newBuilder().setFileName(filesAndHeaders[i])
                    .setSource(filesAndHeaders[i + 1] + "\nfunction on_request_headers() end\n").build());
        }
        ScriptCatalog catalog = ScriptCatalog.compile(sources);
        assertEquals(List.of(), catalog.problems());
        return new ScriptSelector(catalog.scripts().stream().map(s -> new ScriptSelector.Entry(s, hooks)).toList());
    }

    private static List<String> names(List<ScriptDefinition> scripts) {
        return scripts.stream().map(ScriptDefinition::name).toList();
    }

    @Test
    void scriptsRunByPriorityThenName() {
        ScriptSelector s = selector(Set.of(Hook.REQUEST_HEADERS),
                "z.lua", "-- priority: 5",
                "b.lua", "-- priority: 50",
                "a.lua", "-- priority: 50",
                "m.lua", "",
                "neg.lua", "-- priority: -1");
        assertEquals(List.of("neg", "z", "a", "b", "m"), names(s.select(Hook.REQUEST_HEADERS, "/", "GET")));
        assertEquals(List.of("neg", "z", "a", "b", "m"), names(s.scripts()));
    }

    @Test
    void pathsAndMethodsFilter() {
        ScriptSelector s = selector(Set.of(Hook.REQUEST_HEADERS),
                "api.lua", "-- paths: /api/*, /v1/**\n-- methods: GET, post",
                "admin.lua", "-- paths: /admin/**",
                "all.lua", "-- methods: *");
        assertEquals(List.of("all", "api"), names(s.select(Hook.REQUEST_HEADERS, "/api/users", "GET")));
        assertEquals(List.of("all", "api"), names(s.select(Hook.REQUEST_HEADERS, "/v1/a/b", "post")));
        assertEquals(List.of("all"), names(s.select(Hook.REQUEST_HEADERS, "/api/users", "DELETE")));
        assertEquals(List.of("admin", "all"), names(s.select(Hook.REQUEST_HEADERS, "/admin", "PUT")));
        assertEquals(List.of("all"), names(s.select(Hook.REQUEST_HEADERS, "/api/users/1", "GET")));
    }

    @Test
    void onlyScriptsImplementingTheHookAreSelected() {
        ScriptSelector s = selector(Set.of(Hook.RESPONSE_HEADERS), "r.lua", "");
        assertEquals(List.of(), s.select(Hook.REQUEST_HEADERS, "/", "GET"));
        assertEquals(List.of("r"), names(s.select(Hook.RESPONSE_HEADERS, "/", "GET")));
        assertTrue(s.hasScriptsFor(Hook.RESPONSE_HEADERS));
        assertFalse(s.hasScriptsFor(Hook.REQUEST_BODY));
    }
}
