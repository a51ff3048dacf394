package io.zentinel.sentinel.lua.supervisor.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The processes of the agent under load as {@code /proc} shows them: the peer of the socket (the
 * supervisor, or a floor's server) and its descendants (workers). Linux only; elsewhere every
 * sample is unavailable.
 */
public final class AgentProcesses {
    /** USER_HZ; 100 on every Linux architecture the agent runs on. */
    private static final double TICKS_PER_SECOND = 100.0;

    private final long rootPid;

    AgentProcesses(long rootPid) {
        this.rootPid = rootPid;
    }

    long rootPid() {
        return rootPid;
    }

    /** CPU seconds used so far by the whole tree. */
    public record Cpu(double seconds, int processes, boolean available) {
        static final Cpu UNAVAILABLE = new Cpu(0, 0, false);

        public Cpu minus(Cpu earlier) {
            return new Cpu(seconds - earlier.seconds, processes, available && earlier.available);
        }
    }

    /** Resident set sizes, in KiB: the root's and each live descendant's. */
    public record Memory(long rootKb, List<Long> childPids, List<Long> childrenKb, boolean available) {
        static final Memory UNAVAILABLE = new Memory(0, List.of(), List.of(), false);

        public Memory {
            childPids = List.copyOf(childPids);
            childrenKb = List.copyOf(childrenKb);
        }

        public long totalKb() {
            long total = rootKb;
            for (long kb : childrenKb) {
                total += kb;
            }
            return total;
        }
    }

    /**
     * CPU of the tree: the root's user and system time including its reaped children (so a worker
     * that was retired during the run still counts), plus each live descendant's.
     */
    Cpu cpu() {
        if (rootPid <= 0) {
            return Cpu.UNAVAILABLE;
        }
        double root = cpuSeconds(rootPid, true);
        if (Double.isNaN(root)) {
            return Cpu.UNAVAILABLE;
        }
        List<Long> children = descendants();
        double seconds = root;
        for (long pid : children) {
            double s = cpuSeconds(pid, false);
            if (!Double.isNaN(s)) {
                seconds += s;
            }
        }
        return new Cpu(seconds, 1 + children.size(), true);
    }

    Memory memory() {
        if (rootPid <= 0) {
            return Memory.UNAVAILABLE;
        }
        long root = rssKb(rootPid);
        if (root < 0) {
            return Memory.UNAVAILABLE;
        }
        List<Long> pids = new ArrayList<>();
        List<Long> sizes = new ArrayList<>();
        for (long pid : descendants()) {
            long kb = rssKb(pid);
            if (kb >= 0) {
                pids.add(pid);
                sizes.add(kb);
            }
        }
        return new Memory(root, pids, sizes, true);
    }

    List<Long> descendants() {
        List<Long> pids = new ArrayList<>();
        ProcessHandle.of(rootPid).ifPresent(p -> p.descendants().forEach(d -> pids.add(d.pid())));
        return pids;
    }

    /**
     * utime + stime of {@code pid} in seconds, plus cutime + cstime (children it has waited for)
     * when {@code withReapedChildren}; NaN when the process is gone or unreadable.
     */
    static double cpuSeconds(long pid, boolean withReapedChildren) {
        try {
            return parseCpuSeconds(Files.readString(Path.of("/proc", Long.toString(pid), "stat")), withReapedChildren);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** The CPU seconds of a {@code /proc/<pid>/stat} line (fields 14-17: utime, stime, cutime, cstime). */
    static double parseCpuSeconds(String stat, boolean withReapedChildren) {
        // the command name (field 2) may contain spaces and parentheses: split after the last ')'
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        if (withReapedChildren) {
            ticks += Long.parseLong(fields[13]) + Long.parseLong(fields[14]);
        }
        return ticks / TICKS_PER_SECOND;
    }

    /** VmRSS of {@code pid} in KiB; -1 when the process is gone or unreadable. */
    static long rssKb(long pid) {
        try {
            return parseRssKb(Files.readString(Path.of("/proc", Long.toString(pid), "status")));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The {@code VmRSS:} line of a {@code /proc/<pid>/status} text, in KiB; -1 without one (a zombie). */
    static long parseRssKb(String status) {
        for (String line : status.split("\n")) {
            if (line.startsWith("VmRSS:")) {
                String value = line.substring("VmRSS:".length()).trim();
                int space = value.indexOf(' ');
                return Long.parseLong(space < 0 ? value : value.substring(0, space));
            }
        }
        return -1;
    }
}
