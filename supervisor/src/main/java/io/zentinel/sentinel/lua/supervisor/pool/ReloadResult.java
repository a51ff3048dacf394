package io.zentinel.sentinel.lua.supervisor.pool;

import io.zentinel.sentinel.lua.protocol.v1.ScriptInfo;
import io.zentinel.sentinel.lua.protocol.v1.ScriptProblem;
import java.util.List;

/**
 * Outcome of {@link WorkerPool#reload(ScriptSet)}.
 *
 * @param accepted the new generation serves; otherwise the old one still does
 * @param scripts  the scripts the new workers loaded (empty when no worker got ready)
 * @param problems scripts the new workers left out, with the reason (a rejection when not empty)
 * @param failures workers that did not get ready, e.g. {@code worker-9 - script set invalid (exit 78)}
 */
public record ReloadResult(boolean accepted, List<ScriptInfo> scripts, List<ScriptProblem> problems,
                           List<String> failures) {

    public ReloadResult {
        scripts = List.copyOf(scripts);
        problems = List.copyOf(problems);
        failures = List.copyOf(failures);
    }

    /** One line for the log: what was loaded, or why the reload was rejected. */
    public String summary() {
        if (accepted) {
            return "reload accepted: " + scripts.size() + " scripts";
        }
        StringBuilder text = new StringBuilder("reload rejected, previous scripts stay: ");
        String separator = "";
        for (ScriptProblem problem : problems) {
            text.append(separator).append(problem.getFileName());
            if (problem.getLine() > 0) {
                text.append(':').append(problem.getLine());
            }
            text.append(": ").append(problem.getReason());
            separator = "; ";
        }
        for (String failure : failures) {
            text.append(separator).append(failure);
            separator = "; ";
        }
        return text.toString();
    }
}
