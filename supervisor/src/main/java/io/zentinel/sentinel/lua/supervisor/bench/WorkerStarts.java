package io.zentinel.sentinel.lua.supervisor.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How long an agent's workers took from spawn to ready, read from the agent's log: the
 * supervisor's {@code worker-N - ready (pid …, … ms)} line of each worker. The workers started
 * with the agent are those ready before the pool says it started; later ones are replacements
 * (retired, crashed or recycled workers), started while the agent serves.
 *
 * @param scenario      the benchmark scenario the agent ran
 * @param initialMillis spawn to ready of each worker started with the agent, in log order
 * @param laterMillis   spawn to ready of each worker started later, in log order
 */
public record WorkerStarts(String scenario, List<Long> initialMillis, List<Long> laterMillis) {
    private static final Pattern READY =
            Pattern.compile(" - worker-\\d+ - ready \\(pid \\d+, \\d+ scripts, \\d+ problems, (\\d+) ms\\)");
    private static final Pattern POOL_STARTED = Pattern.compile(" - pool - (\\d+ workers ready|started with )");

    public WorkerStarts {
        Objects.requireNonNull(scenario, "scenario");
        initialMillis = List.copyOf(initialMillis);
        laterMillis = List.copyOf(laterMillis);
    }

    /** The starts in the lines of one agent's log. */
    public static WorkerStarts fromLog(String scenario, List<String> lines) {
        List<Long> initial = new ArrayList<>();
        List<Long> later = new ArrayList<>();
        boolean poolStarted = false;
        for (String line : lines) {
            Matcher ready = READY.matcher(line);
            if (ready.find()) {
                (poolStarted ? later : initial).add(Long.parseLong(ready.group(1)));
            } else if (POOL_STARTED.matcher(line).find()) {
                poolStarted = true;
            }
        }
        return new WorkerStarts(scenario, initial, later);
    }
}
