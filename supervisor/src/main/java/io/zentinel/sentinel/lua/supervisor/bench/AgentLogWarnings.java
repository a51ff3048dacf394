package io.zentinel.sentinel.lua.supervisor.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The warnings and errors an agent logged while it was measured, read from its log: a benchmark
 * whose agent warned (a connection that failed, a worker killed, a script left out) measured
 * something else than it meant to, or shows a defect, and its report says so.
 *
 * @param scenario the benchmark scenario the agent ran
 * @param lines    the {@code [WARN]} and {@code [ERROR]} lines, from the level on (without the
 *                 timestamp), in log order
 */
public record AgentLogWarnings(String scenario, List<String> lines) {
    private static final Pattern LEVEL = Pattern.compile("\\[(WARN|ERROR)] ");

    public AgentLogWarnings {
        Objects.requireNonNull(scenario, "scenario");
        lines = List.copyOf(lines);
    }

    /** The warnings in the lines of one agent's log. */
    public static AgentLogWarnings fromLog(String scenario, List<String> log) {
        List<String> found = new ArrayList<>();
        for (String line : log) {
            Matcher level = LEVEL.matcher(line);
            if (level.find()) {
                found.add(line.substring(level.start()));
            }
        }
        return new AgentLogWarnings(scenario, found);
    }
}
