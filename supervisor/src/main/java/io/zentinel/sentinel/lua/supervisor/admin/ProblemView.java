package io.zentinel.sentinel.lua.supervisor.admin;

import io.zentinel.sentinel.lua.protocol.v1.ScriptProblem;
import java.util.List;

/**
 * A script that was left out, and why.
 *
 * @param file   file name inside the scripts directory
 * @param line   1-based line, 0 when no line applies
 * @param reason what is wrong
 */
public record ProblemView(String file, int line, String reason) {

    public static ProblemView of(ScriptProblem problem) {
        return new ProblemView(problem.getFileName(), problem.getLine(), problem.getReason());
    }

    public static List<ProblemView> of(List<ScriptProblem> problems) {
        return problems.stream().map(ProblemView::of).toList();
    }

    /** {@code file:line: reason}, or {@code file: reason} without a line: the form editors jump to. */
    public String text() {
        return file + (line > 0 ? ":" + line : "") + ": " + reason;
    }
}
