package io.zentinel.sentinel.lua.supervisor.pool;

import io.zentinel.sentinel.lua.protocol.v1.ScriptInfo;
import io.zentinel.sentinel.lua.protocol.v1.ScriptProblem;
import io.zentinel.sentinel.lua.protocol.v1.WorkerReady;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Which of the scripts its generation serves a worker left out, and why: the log line of a
 * worker that is killed for it.
 */
final class ScriptDifference {
    private ScriptDifference() {
    }

    /**
     * @return {@code null} if {@code ready} lists every script file of {@code served}; otherwise
     *         each file it left out, with the problem it reported for it
     */
    static String leftOut(List<ScriptInfo> served, WorkerReady ready) {
        Set<String> run = new HashSet<>();
        for (ScriptInfo script : ready.getScriptsList()) {
            run.add(script.getFileName());
        }
        List<String> missing = new ArrayList<>();
        for (ScriptInfo script : served) {
            if (!run.contains(script.getFileName())) {
                missing.add(script.getFileName() + " left out" + problemOf(script.getFileName(), ready));
            }
        }
        return missing.isEmpty() ? null : String.join("; ", missing);
    }

    private static String problemOf(String file, WorkerReady ready) {
        for (ScriptProblem problem : ready.getProblemsList()) {
            if (problem.getFileName().equals(file)) {
                return " (" + problem.getReason() + ")";
            }
        }
        return "";
    }
}
