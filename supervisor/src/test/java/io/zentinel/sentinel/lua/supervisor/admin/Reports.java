package io.zentinel.sentinel.lua.supervisor.admin;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Hand-made reports for tests: a fixed agent with two workers and one script. */
public final class Reports {
    private Reports() {
    }

    public static final ScriptView SEED = new ScriptView("seed-example.lua", "my-script", "1.0.0",
            List.of("request_headers"), List.of("/api/*"), List.of("GET", "POST"), 100);

    public static ReloadReport accepted() {
        return new ReloadReport("2026-11-25T10:00:05Z", "admin socket", true, 2, 1834, List.of(SEED), List.of(),
                List.of());
    }

    public static ReloadReport rejected() {
        return new ReloadReport("2026-11-25T10:00:09Z", "file change", false, 2, 912, List.of(),
                List.of(new ProblemView("broken.lua", 3, "does not compile: unexpected symbol near 'end'")),
                List.of("worker-9 - script set invalid (exit 78)"));
    }

    private static Map<String, Map<String, Long>> byScript() {
        Map<String, Map<String, Long>> byScript = new LinkedHashMap<>();
        byScript.put("(none)", Map.of("overloaded", 2L));
        Map<String, Long> mine = new LinkedHashMap<>();
        mine.put("script-error", 3L);
        mine.put("instruction-limit", 2L);
        byScript.put("my-script", mine);
        return byScript;
    }

    public static StatusReport status(ReloadReport last) {
        Map<String, Long> decisions = new LinkedHashMap<>();
        decisions.put("allow", 1180L);
        decisions.put("block", 20L);
        decisions.put("redirect", 0L);
        Map<String, Long> failures = new LinkedHashMap<>();
        failures.put("script-error", 3L);
        failures.put("instruction-limit", 2L);
        failures.put("time-limit", 0L);
        failures.put("overloaded", 2L);
        return new StatusReport(
                new StatusReport.Agent("0.1.0", 4242, "2026-11-25T09:00:00Z", 3725, "/run/lua.sock", "/run/lua-admin.sock",
                        "/etc/sentinel/scripts", true, 5000, true, 2, 4, 0, 0, 0, null),
                new StatusReport.ProcessFigures(4242, 64L * 1024 * 1024, 1.25),
                List.of(new StatusReport.Worker(7, 5151, "ready", 2, 0, 4, 1200, 1, 50_331_648L, 2.5,
                                "2026-11-25T09:58:00Z", 190, 0, null, null),
                        new StatusReport.Worker(8, 5152, "starting", 2, 1, 4, 0, 0, null, null,
                                "2026-11-25T10:01:09Z", 1, 2, "worker-6 - killed: missed heartbeat (killed by SIGKILL (exit 137))",
                                null)),
                new StatusReport.Scripts(2, "2026-11-25T10:00:05Z", List.of(SEED), List.of()),
                last, new StatusReport.Reloads(1, last != null && !last.accepted() ? 1 : 0),
                new StatusReport.Totals(1200, 1260, 1, 4, decisions, failures, Map.of("(none)", 2L, "my-script", 5L),
                        byScript()));
    }
}
