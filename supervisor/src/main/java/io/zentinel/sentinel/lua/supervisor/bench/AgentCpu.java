package io.zentinel.sentinel.lua.supervisor.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * CPU time of the agent under load: the supervisor (the peer of the socket) and its worker
 * processes, read from {@code /proc/<pid>/stat} (utime + stime, in clock ticks).
 */
final class AgentCpu {
    /** USER_HZ; 100 on every Linux architecture the agent runs on. */
    private static final double TICKS_PER_SECOND = 100.0;

    private final long supervisorPid;
    private int processCount;

    AgentCpu(long supervisorPid) {
        this.supervisorPid = supervisorPid;
    }

    /** CPU seconds used so far by the supervisor and its live children. */
    record Sample(double cpuSeconds, boolean available) {
        Sample minus(Sample earlier) {
            return new Sample(cpuSeconds - earlier.cpuSeconds, available && earlier.available);
        }
    }

    Sample sample() {
        if (supervisorPid <= 0) {
            return new Sample(0, false);
        }
        List<Long> pids = new ArrayList<>();
        pids.add(supervisorPid);
        ProcessHandle.of(supervisorPid).ifPresent(p -> p.descendants().forEach(d -> pids.add(d.pid())));
        processCount = pids.size();
        double seconds = 0;
        for (long pid : pids) {
            try {
                String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                seconds += (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / TICKS_PER_SECOND;
            } catch (IOException | RuntimeException e) {
                if (pid == supervisorPid) {
                    return new Sample(0, false);
                }
            }
        }
        return new Sample(seconds, true);
    }

    int processCount() {
        return processCount;
    }
}
