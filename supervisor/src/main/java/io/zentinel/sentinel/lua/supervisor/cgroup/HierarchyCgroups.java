package io.zentinel.sentinel.lua.supervisor.cgroup;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * cgroups in one (v2) or several (v1) hierarchies: this supervisor's base directory
 * {@code sentinel-lua-agent-<pid>} in each, with a {@code worker-<id>} child per worker.
 */
abstract sealed class HierarchyCgroups implements WorkerCgroups permits V1WorkerCgroups, V2WorkerCgroups {
    static final Logger LOG = LoggerFactory.getLogger(WorkerCgroups.class);

    /** Prefix of the base directory of each supervisor. */
    static final String BASE_PREFIX = "sentinel-lua-agent-";
    private static final Pattern BASE_NAME = Pattern.compile(Pattern.quote(BASE_PREFIX) + "(\\d+)(-\\d+)?");

    /** The sh exit status when the worker cannot be placed in its cgroup (EX_OSERR). */
    static final int PLACEMENT_FAILED = 71;

    /** How long removing a cgroup retries while the kernel still counts an exited process. */
    static final int REMOVE_ATTEMPTS = 40;
    static final long REMOVE_PAUSE_MILLIS = 25;

    /**
     * One hierarchy: this supervisor's base directory in it and the controllers it carries.
     */
    record Hierarchy(Path base, Set<String> controllers) {
        boolean has(String controller) {
            return controllers.contains(controller);
        }
    }

    final CgroupFs fs;
    final CgroupLimits limits;
    final List<Hierarchy> hierarchies;
    private final Map<Integer, Cgroup> workers = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    HierarchyCgroups(CgroupFs fs, CgroupLimits limits, List<Hierarchy> hierarchies) {
        this.fs = Objects.requireNonNull(fs, "fs");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.hierarchies = List.copyOf(hierarchies);
    }

    /** Writes the limits of a new worker cgroup {@code dir} in hierarchy {@code h}. */
    abstract void applyLimits(Path dir, Hierarchy h) throws IOException;

    /** The OOM-kill counter of the worker cgroup {@code dir} in the memory hierarchy. */
    abstract long readOomKills(Path dir) throws IOException;

    @Override
    public String description() {
        List<String> parts = new ArrayList<>();
        for (Hierarchy h : hierarchies) {
            parts.add(h.base() + " " + h.controllers().stream().sorted().toList());
        }
        return (mode() == Mode.V2 ? "cgroup v2" : "cgroup v1") + " under " + String.join(", ", parts)
                + "; per worker: cpu " + limits.cpuQuotaMicros() + "/" + CgroupLimits.PERIOD_MICROS + " us, memory "
                + limits.memoryBytes() + " bytes, pids " + limits.pidsMax();
    }

    @Override
    public WorkerCgroup create(int workerId) throws IOException {
        if (closed.get()) {
            throw new IOException("cgroups closed");
        }
        List<Path> dirs = new ArrayList<>();
        try {
            for (Hierarchy h : hierarchies) {
                Path dir = h.base().resolve("worker-" + workerId);
                fs.createDirectory(dir);
                dirs.add(dir);
                applyLimits(dir, h);
            }
        } catch (IOException | RuntimeException e) {
            for (Path dir : dirs.reversed()) {
                removeQuietly(dir);
            }
            throw e;
        }
        Cgroup cgroup = new Cgroup(workerId, dirs);
        workers.put(workerId, cgroup);
        return cgroup;
    }

    @Override
    public Optional<WorkerCgroup> find(int workerId) {
        return Optional.ofNullable(workers.get(workerId));
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        for (Cgroup cgroup : List.copyOf(workers.values())) {
            cgroup.close();
        }
        List<Path> removed = new ArrayList<>();
        for (Hierarchy h : hierarchies) {
            try {
                remove(h.base());
                removed.add(h.base());
            } catch (IOException e) {
                LOG.warn("cgroups - cannot remove {}: {}", h.base(), CgroupFs.reason(e));
            }
        }
        LOG.info("cgroups - removed {}", removed);
    }

    /** rmdir, retrying while the directory is busy (a process the kernel has not let go of yet). */
    void remove(Path dir) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                fs.removeDirectory(dir);
                return;
            } catch (FileSystemException e) {
                if (attempt >= REMOVE_ATTEMPTS) {
                    throw e;
                }
                try {
                    Thread.sleep(REMOVE_PAUSE_MILLIS);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private void removeQuietly(Path dir) {
        try {
            remove(dir);
        } catch (IOException e) {
            LOG.warn("cgroups - cannot remove {}: {}", dir, CgroupFs.reason(e));
        }
    }

    /** Reads {@code key <n>} from a flat-keyed control file; -1 when the file or key is missing. */
    long readKey(Path file, String key) throws IOException {
        String text;
        try {
            text = fs.read(file);
        } catch (java.nio.file.NoSuchFileException | FileNotFoundException e) {
            return -1;
        }
        return flatKey(text, key);
    }

    static long flatKey(String text, String key) {
        for (String line : text.split("\n")) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length == 2 && fields[0].equals(key)) {
                try {
                    return Long.parseLong(fields[1]);
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
    }

    /**
     * Writes the CPU weight of a base cgroup. A weight that cannot be written leaves the kernel's
     * default, under which busy workers may starve, but the limits stand: it is logged, not fatal.
     */
    static void writeWeight(CgroupFs fs, Path file, long weight) {
        try {
            fs.write(file, Long.toString(weight));
        } catch (IOException e) {
            LOG.warn("cgroups - {}; the workers keep the default CPU weight and may get little CPU on a busy"
                    + " host", e.getMessage());
        }
    }

    /** Writes {@code value} to {@code dir/name} only where the kernel offers that file (e.g. swap accounting). */
    void writeIfPresent(Path dir, String name, String value) throws IOException {
        Path file = dir.resolve(name);
        if (fs.exists(file)) {
            fs.write(file, value);
        }
    }

    // ------------------------------------------------------------------ base directories

    /**
     * A base name free in every one of {@code parents}: {@code sentinel-lua-agent-<pid>}, else
     * with {@code -2}, {@code -3}… (a second supervisor in the same JVM, as in tests).
     */
    static String freeBaseName(CgroupFs fs, List<Path> parents, long pid) {
        for (int n = 1; ; n++) {
            String name = BASE_PREFIX + pid + (n == 1 ? "" : "-" + n);
            if (parents.stream().noneMatch(p -> fs.exists(p.resolve(name)))) {
                return name;
            }
        }
    }

    /**
     * Removes the base directories under {@code parent} of supervisors that are gone (their pid
     * is not alive), with their {@code worker-*} children. A cgroup still holding a process is
     * left, with a WARN.
     *
     * @return the directories removed
     */
    static List<Path> removeStale(CgroupFs fs, Path parent, LongPredicate pidAlive) {
        List<Path> removed = new ArrayList<>();
        List<Path> candidates;
        try {
            candidates = fs.subdirectories(parent);
        } catch (IOException e) {
            return removed;
        }
        for (Path base : candidates) {
            Matcher m = BASE_NAME.matcher(base.getFileName().toString());
            if (!m.matches()) {
                continue;
            }
            long pid;
            try {
                pid = Long.parseLong(m.group(1));
            } catch (NumberFormatException e) {
                continue;
            }
            if (pidAlive.test(pid)) {
                continue;
            }
            try {
                for (Path child : fs.subdirectories(base)) {
                    fs.removeDirectory(child);
                }
                fs.removeDirectory(base);
                removed.add(base);
                LOG.info("cgroups - removed stale {} of supervisor pid {}, which is gone", base, pid);
            } catch (IOException e) {
                LOG.warn("cgroups - cannot remove stale {}: {}", base, CgroupFs.reason(e));
            }
        }
        return removed;
    }

    static String shellQuote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    // ------------------------------------------------------------------ one worker

    private final class Cgroup implements WorkerCgroup {
        private final int workerId;
        private final List<Path> dirs;
        private final List<String> prefix;
        private final AtomicBoolean removed = new AtomicBoolean();
        /** The counters as they were just before the removal; read instead of the files afterwards. */
        private volatile long finalThrottled = -1;
        private volatile long finalOomKills = -1;

        Cgroup(int workerId, List<Path> dirs) {
            this.workerId = workerId;
            this.dirs = List.copyOf(dirs);
            StringBuilder script = new StringBuilder("ulimit -c 0; ");
            for (Path dir : dirs) {
                script.append("echo $$ > ").append(shellQuote(dir.resolve("cgroup.procs").toString()))
                        .append(" || exit ").append(PLACEMENT_FAILED).append("; ");
            }
            script.append("exec \"$0\" \"$@\"");
            this.prefix = List.of("/bin/sh", "-c", script.toString());
        }

        @Override
        public int workerId() {
            return workerId;
        }

        @Override
        public Path path() {
            return dirs.getFirst();
        }

        @Override
        public List<Path> paths() {
            return dirs;
        }

        @Override
        public List<String> placeCommandPrefix() {
            return prefix;
        }

        private Path dirWith(String controller) {
            for (int i = 0; i < hierarchies.size(); i++) {
                if (hierarchies.get(i).has(controller)) {
                    return dirs.get(i);
                }
            }
            return null;
        }

        @Override
        public long throttledCount() {
            if (removed.get()) {
                return finalThrottled;
            }
            Path dir = dirWith("cpu");
            try {
                return dir == null ? -1 : readKey(dir.resolve("cpu.stat"), "nr_throttled");
            } catch (IOException e) {
                return -1;
            }
        }

        @Override
        public long oomKills() {
            if (removed.get()) {
                return finalOomKills;
            }
            Path dir = dirWith("memory");
            try {
                return dir == null ? -1 : readOomKills(dir);
            } catch (IOException e) {
                return -1;
            }
        }

        /**
         * Reads the counters, keeps them, then removes the directories. The counters are stored
         * before {@code removed} is set, so that a reader on another thread (the worker's exit
         * handler) that sees the removal also sees them.
         */
        @Override
        public void close() {
            if (removed.get()) {
                return;
            }
            finalThrottled = throttledCount();
            finalOomKills = oomKills();
            if (!removed.compareAndSet(false, true)) {
                return;
            }
            for (Path dir : dirs) {
                removeQuietly(dir);
            }
            workers.remove(workerId, this);
        }

        @Override
        public String toString() {
            return "worker-" + workerId + " cgroup " + path();
        }
    }
}
