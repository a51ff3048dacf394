package io.zentinel.sentinel.lua.supervisor.admin;

import io.zentinel.sentinel.lua.supervisor.pool.ReloadResult;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The outcome of one reload attempt, as logged, kept for {@code status} and answered to
 * {@code reload}.
 *
 * @param time       when the attempt ended (ISO-8601, UTC)
 * @param trigger    what asked for it: {@code file change}, {@code SIGHUP}, {@code admin socket} …
 * @param accepted   the new scripts serve; otherwise the previous ones still do
 * @param generation the generation serving after the attempt
 * @param durationMs how long the attempt took
 * @param scripts    the scripts the new workers loaded (empty when rejected before a worker got ready)
 * @param problems   scripts that did not load; any problem rejects the reload
 * @param failures   other reasons for a rejection: unreadable directory, workers that did not start
 */
public record ReloadReport(String time, String trigger, boolean accepted, long generation, long durationMs,
                           List<ScriptView> scripts, List<ProblemView> problems, List<String> failures) {

    public ReloadReport {
        scripts = List.copyOf(scripts);
        problems = List.copyOf(problems);
        failures = List.copyOf(failures);
    }

    /** The report of a {@link ReloadResult} from the pool. */
    public static ReloadReport of(ReloadResult result, String trigger, Instant end, Duration took, long generation) {
        return new ReloadReport(StatusCollector.timestamp(end), trigger, result.accepted(), generation, took.toMillis(),
                ScriptView.of(result.scripts()), ProblemView.of(result.problems()), result.failures());
    }

    /** A rejection before any worker was started, e.g. the directory could not be read. */
    public static ReloadReport rejected(String reason, String trigger, Instant end, Duration took, long generation) {
        return new ReloadReport(StatusCollector.timestamp(end), trigger, false, generation, took.toMillis(), List.of(), List.of(),
                List.of(reason));
    }

    /** Every reason of a rejection, one per line: problems as {@code file:line: reason}, then failures. */
    public List<String> reasons() {
        return java.util.stream.Stream.concat(problems.stream().map(ProblemView::text), failures.stream()).toList();
    }
}
