package io.zentinel.sentinel.lua.supervisor.cli;

import io.zentinel.sentinel.lua.supervisor.admin.ProblemView;
import io.zentinel.sentinel.lua.supervisor.admin.ReloadReport;
import io.zentinel.sentinel.lua.supervisor.admin.ScriptView;
import io.zentinel.sentinel.lua.supervisor.admin.StatusReport;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/** Prints a {@link StatusReport}, a {@link ReloadReport} and script lists for people. */
final class StatusPrinter {
    private final PrintWriter out;
    private final Style style;

    StatusPrinter(PrintWriter out, Style style) {
        this.out = out;
        this.style = style;
    }

    void status(StatusReport report) {
        StatusReport.Agent agent = report.agent();
        StatusReport.Totals totals = report.totals();
        out.println(style.bold("sentinel-lua-agent " + agent.version()) + ", pid " + agent.pid() + ", up "
                + Figures.age(agent.uptimeSeconds()) + ", " + (agent.failOpen() ? "fail-open" : "fail-closed"));
        out.println("  proxy socket  " + agent.socketPath() + " (" + plural(totals.connections(), "connection") + ")");
        out.println("  admin socket  " + agent.adminSocketPath());
        out.println("  scripts       " + agent.scriptsDirectory() + (agent.hotReload()
                ? " (hot reload, polled every " + Figures.millis(agent.watchIntervalMs()) + ")" : " (hot reload off)"));
        StatusReport.ProcessFigures self = report.supervisor();
        out.println("  supervisor    RSS " + Figures.bytes(self.rssBytes()) + ", CPU " + Figures.percent(self.cpuPercent())
                + " %");
        if (agent.crashLoopDeaths() > 0) {
            out.println("  " + style.red("crash loop: " + agent.crashLoopDeaths() + " early worker deaths in a row, "
                    + "next relaunch after " + Figures.millis(agent.crashLoopBackoffMs())
                    + (agent.crashLoopLastDeath() == null ? "" : "; last: " + agent.crashLoopLastDeath())));
        }
        out.println();
        workers(report);
        out.println();
        scripts(report.scripts());
        out.println();
        lastReload(report.lastReload(), report.reloads());
        out.println();
        totals(totals);
        failuresByScript(totals);
    }

    private void workers(StatusReport report) {
        StatusReport.Agent agent = report.agent();
        out.println(style.bold("WORKERS") + " (" + agent.workersConfigured() + " x " + agent.vmsPerWorker()
                + " Lua VMs configured" + (agent.workersStandby() > 0 ? ", " + agent.workersStandby() + " standby" : "")
                + ")");
        TextTable table = new TextTable(">ID", ">PID", "STATE", ">GEN", ">VMS", ">EXECUTIONS", ">IN FLIGHT", ">RSS",
                ">CPU %", ">AGE", ">RESTARTS", "CGROUP", "LAST EXIT");
        for (StatusReport.Worker w : report.workers()) {
            table.row(String.valueOf(w.id()), String.valueOf(w.pid()), w.state(), String.valueOf(w.generation()),
                    String.valueOf(w.vms()), String.valueOf(w.executions()), String.valueOf(w.inFlight()),
                    Figures.bytes(w.rssBytes()), Figures.percent(w.cpuPercent()), Figures.age(w.ageSeconds()),
                    String.valueOf(w.restarts()), w.cgroup() == null ? "none" : w.cgroup(), w.lastExit());
            table.paint(2, stateColour(w.state()));
            if (w.restarts() > 0) {
                table.paint(10, style::yellow);
            }
        }
        if (table.size() == 0) {
            out.println("  " + style.red("no live worker"));
        } else {
            table.print(out, "  ", style::dim);
        }
    }

    private UnaryOperator<String> stateColour(String state) {
        return switch (state) {
            case "ready", "standby" -> style::green;
            case "starting", "retiring" -> style::yellow;
            default -> style::red;
        };
    }

    private void scripts(StatusReport.Scripts scripts) {
        out.println(style.bold("SCRIPTS") + " (generation " + scripts.generation() + ", since " + scripts.loadedAt() + ")");
        scriptTable(scripts.loaded(), "  ");
        if (!scripts.leftOut().isEmpty()) {
            out.println("  " + style.yellow("left out when the agent started:"));
            for (ProblemView problem : scripts.leftOut()) {
                out.println("    " + problem.text());
            }
        }
    }

    /** The scripts as a table, or a note that there are none. */
    void scriptTable(List<ScriptView> scripts, String indent) {
        if (scripts.isEmpty()) {
            out.println(indent + style.yellow("no script loaded: every event is allowed"));
            return;
        }
        TextTable table = new TextTable("FILE", "NAME", "VERSION", "HOOKS", "PATHS", "METHODS", ">PRIORITY");
        for (ScriptView s : scripts) {
            table.row(s.file(), s.name(), s.version(), String.join(",", s.hooks()),
                    s.paths().isEmpty() ? "*" : String.join(",", s.paths()),
                    s.methods().isEmpty() ? "*" : String.join(",", s.methods()), String.valueOf(s.priority()));
        }
        table.print(out, indent, style::dim);
    }

    private void lastReload(ReloadReport last, StatusReport.Reloads reloads) {
        out.print(style.bold("LAST RELOAD") + "  ");
        if (last == null) {
            out.println("none since start");
            return;
        }
        out.println(last.time() + " (" + last.trigger() + "): " + (last.accepted()
                ? style.green("accepted") + ", generation " + last.generation() + " serves "
                        + plural(last.scripts().size(), "script")
                : style.red("rejected") + ", generation " + last.generation() + " keeps serving")
                + ", took " + Figures.millis(last.durationMs()));
        for (String reason : last.reasons()) {
            out.println("  " + reason);
        }
        out.println("  reloads since start: " + reloads.accepted() + " accepted, " + reloads.rejected() + " rejected");
    }

    private void totals(StatusReport.Totals totals) {
        out.println(style.bold("TOTALS"));
        out.println("  requests         " + totals.requests() + " (" + plural(totals.events(), "event") + ", "
                + totals.inFlight() + " in flight)");
        out.println("  decisions        " + counts(totals.decisions(), false));
        String failures = counts(totals.failures(), true);
        out.println("  failures         " + (failures.isEmpty() ? "none" : style.yellow(failures)));
    }

    /**
     * The (script, cause) matrix: a row per script, a column per cause that occurred, the total
     * first; nothing when no failure occurred.
     */
    private void failuresByScript(StatusReport.Totals totals) {
        Map<String, Map<String, Long>> byScript = totals.failuresByScript();
        if (byScript == null || byScript.isEmpty()) {
            return;
        }
        // columns in the order of the failure totals (the agent's order of causes), then any other
        List<String> causes = new ArrayList<>();
        if (totals.failures() != null) {
            totals.failures().keySet().forEach(cause -> {
                if (byScript.values().stream().anyMatch(row -> row.containsKey(cause))) {
                    causes.add(cause);
                }
            });
        }
        byScript.values().forEach(row -> row.keySet().forEach(cause -> {
            if (!causes.contains(cause)) {
                causes.add(cause);
            }
        }));
        List<String> titles = new ArrayList<>(List.of("SCRIPT", ">TOTAL"));
        causes.forEach(cause -> titles.add(">" + cause.toUpperCase(java.util.Locale.ROOT)));
        TextTable table = new TextTable(titles.toArray(String[]::new));
        byScript.forEach((script, row) -> {
            List<String> cells = new ArrayList<>();
            cells.add(script);
            cells.add(String.valueOf(row.values().stream().mapToLong(Long::longValue).sum()));
            causes.forEach(cause -> cells.add(String.valueOf(row.getOrDefault(cause, 0L))));
            table.row(cells.toArray(String[]::new));
            for (int i = 0; i < causes.size(); i++) {
                if (row.getOrDefault(causes.get(i), 0L) != 0) {
                    table.paint(i + 2, style::yellow);
                }
            }
        });
        out.println();
        out.println(style.bold("FAILURES BY SCRIPT") + " (failure-mode decisions by script and cause)");
        table.print(out, "  ", style::dim);
    }

    /** {@code allow 10, block 2}; zero counts left out when {@code skipZero}. */
    private static String counts(Map<String, Long> counts, boolean skipZero) {
        List<String> parts = new ArrayList<>();
        if (counts != null) {
            counts.forEach((name, count) -> {
                if (!skipZero || count != 0) {
                    parts.add(name + " " + count);
                }
            });
        }
        return String.join(", ", parts);
    }

    /** The outcome of a {@code reload} command. */
    void reload(ReloadReport report, PrintWriter err) {
        if (report.accepted()) {
            out.println(style.green("reload accepted") + ": generation " + report.generation() + " serves "
                    + plural(report.scripts().size(), "script") + " (took " + Figures.millis(report.durationMs()) + ")");
            scriptTable(report.scripts(), "  ");
        } else {
            err.println(style.red("reload rejected") + ": generation " + report.generation()
                    + " keeps serving (took " + Figures.millis(report.durationMs()) + ")");
            for (String reason : report.reasons()) {
                err.println(reason);
            }
        }
    }

    static String plural(long count, String noun) {
        return count + " " + noun + (count == 1 ? "" : "s");
    }
}
