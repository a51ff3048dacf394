package io.zentinel.sentinel.lua.supervisor.admin;

import io.zentinel.sentinel.lua.protocol.v1.WorkerReady;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Which scripts serve and how reloads went: updated by the supervisor after each attempt, read
 * by {@code status}. Thread-safe; readers get immutable values.
 */
public final class ReloadHistory {
    private final ReentrantLock lock = new ReentrantLock();
    // guarded by lock
    private StatusReport.Scripts serving;
    private ReloadReport last;
    private long accepted;
    private long rejected;

    private ReloadHistory(StatusReport.Scripts serving) {
        this.serving = serving;
    }

    /** The history of an agent whose first generation reported {@code ready} at {@code at}. */
    public static ReloadHistory started(WorkerReady ready, Instant at) {
        return new ReloadHistory(new StatusReport.Scripts(1, StatusCollector.timestamp(at), ScriptView.of(ready.getScriptsList()),
                ProblemView.of(ready.getProblemsList())));
    }

    /** Records an attempt; an accepted one becomes the serving set. */
    public void record(ReloadReport report) {
        lock.lock();
        try {
            last = report;
            if (report.accepted()) {
                accepted++;
                serving = new StatusReport.Scripts(report.generation(), report.time(), report.scripts(), List.of());
            } else {
                rejected++;
            }
        } finally {
            lock.unlock();
        }
    }

    public StatusReport.Scripts serving() {
        lock.lock();
        try {
            return serving;
        } finally {
            lock.unlock();
        }
    }

    /** The last attempt, or {@code null} before the first. */
    public ReloadReport last() {
        lock.lock();
        try {
            return last;
        } finally {
            lock.unlock();
        }
    }

    public StatusReport.Reloads counts() {
        lock.lock();
        try {
            return new StatusReport.Reloads(accepted, rejected);
        } finally {
            lock.unlock();
        }
    }
}
