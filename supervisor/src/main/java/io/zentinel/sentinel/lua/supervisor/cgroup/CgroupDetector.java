package io.zentinel.sentinel.lua.supervisor.cgroup;

import io.zentinel.sentinel.lua.supervisor.cgroup.HierarchyCgroups.Hierarchy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.LongPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the cgroup setup the supervisor can use, from {@code /proc/self/cgroup} and
 * {@code /proc/self/mountinfo}:
 * <ul>
 * <li><b>v2</b> when {@code /proc/self/cgroup} is the single line {@code 0::/path} and that cgroup
 *     is delegated to us (writable, with cpu, memory and pids in its {@code cgroup.controllers}; a
 *     systemd unit with {@code Delegate=yes}). Because of the "no internal processes" rule the
 *     supervisor first moves itself into {@code <own cgroup>/supervisor}, then enables
 *     {@code +cpu +memory +pids} in the own cgroup's {@code cgroup.subtree_control}.</li>
 * <li><b>v1</b> when cpu, memory and pids hierarchies are mounted and writable (hybrid hosts, whose
 *     unified hierarchy carries no controllers, included). The base directory is created at the
 *     root of each hierarchy.</li>
 * <li><b>none</b> otherwise, with a WARN that says why.</li>
 * </ul>
 * Base directories of supervisors that are gone ({@code sentinel-lua-agent-<pid>}) are removed first.
 */
public final class CgroupDetector {
    private static final Logger LOG = LoggerFactory.getLogger(WorkerCgroups.class);

    /** The controllers every worker cgroup needs. */
    static final Set<String> CONTROLLERS = Set.of("cpu", "memory", "pids");

    /** The cgroup the supervisor moves itself into under cgroup v2. */
    static final String SUPERVISOR_CGROUP = "supervisor";

    /** One line of {@code /proc/self/cgroup}: {@code id:controllers:path}. */
    record ProcCgroup(int id, List<String> controllers, String path) {
    }

    /** One cgroup mount of {@code /proc/self/mountinfo}. */
    record Mount(String root, String mountPoint, String fsType, Set<String> superOptions) {
    }

    private final CgroupFs fs;
    private final Path fsRoot;
    private final String procSelfCgroup;
    private final String mountinfo;
    private final long pid;
    private final LongPredicate pidAlive;

    /**
     * @param fsRoot         where the paths of {@code mountinfo} are resolved ({@code /}, or a test tree)
     * @param procSelfCgroup the text of {@code /proc/self/cgroup}
     * @param mountinfo      the text of {@code /proc/self/mountinfo}
     * @param pid            this supervisor's pid
     * @param pidAlive       whether a process is alive, for the removal of stale base directories
     */
    CgroupDetector(CgroupFs fs, Path fsRoot, String procSelfCgroup, String mountinfo, long pid,
                   LongPredicate pidAlive) {
        this.fs = Objects.requireNonNull(fs, "fs");
        this.fsRoot = Objects.requireNonNull(fsRoot, "fsRoot");
        this.procSelfCgroup = Objects.requireNonNull(procSelfCgroup, "procSelfCgroup");
        this.mountinfo = Objects.requireNonNull(mountinfo, "mountinfo");
        this.pid = pid;
        this.pidAlive = Objects.requireNonNull(pidAlive, "pidAlive");
    }

    /** This process on this host. When /proc cannot be read, the detection yields none. */
    static CgroupDetector system() {
        return new CgroupDetector(new CgroupFs(), Path.of("/"), readOrEmpty(Path.of("/proc/self/cgroup")),
                readOrEmpty(Path.of("/proc/self/mountinfo")), ProcessHandle.current().pid(),
                p -> ProcessHandle.of(p).map(ProcessHandle::isAlive).orElse(false));
    }

    private static String readOrEmpty(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** Detects, sets up the base directory, logs the choice (INFO, or WARN for none). Never throws. */
    WorkerCgroups detect(CgroupLimits limits) {
        WorkerCgroups chosen;
        try {
            chosen = choose(limits);
        } catch (IOException | RuntimeException e) {
            chosen = new NoWorkerCgroups("cgroup setup failed: " + e.getMessage());
        }
        if (chosen.mode() == WorkerCgroups.Mode.NONE) {
            warnNone(chosen);
        } else {
            LOG.info("cgroups - using {}", chosen.description());
        }
        return chosen;
    }

    static void warnNone(WorkerCgroups none) {
        LOG.warn("cgroups - no usable cgroup: {}; workers run WITHOUT kernel CPU, memory and pids limits:"
                + " only their -Xmx and the supervisor's deadlines bound them",
                none.description().substring("none: ".length()));
    }

    private WorkerCgroups choose(CgroupLimits limits) throws IOException {
        List<ProcCgroup> lines = parseProcCgroup(procSelfCgroup);
        if (lines.isEmpty()) {
            return new NoWorkerCgroups("/proc/self/cgroup is empty or unreadable");
        }
        List<Mount> mounts = parseMountinfo(mountinfo);
        if (lines.size() == 1 && lines.getFirst().id() == 0) {
            return chooseV2(limits, lines.getFirst().path(), mounts);
        }
        return chooseV1(limits, mounts);
    }

    // ------------------------------------------------------------------ v1

    private WorkerCgroups chooseV1(CgroupLimits limits, List<Mount> mounts) throws IOException {
        Map<Path, Set<String>> byDir = new LinkedHashMap<>();
        List<String> missing = new ArrayList<>();
        for (String controller : List.of("cpu", "memory", "pids")) {
            Mount mount = mounts.stream()
                    .filter(m -> m.fsType().equals("cgroup") && m.superOptions().contains(controller))
                    .findFirst().orElse(null);
            if (mount == null) {
                missing.add(controller);
                continue;
            }
            byDir.computeIfAbsent(resolve(mount.mountPoint()), d -> new TreeSet<>()).add(controller);
        }
        if (!missing.isEmpty()) {
            return new NoWorkerCgroups("cgroup v1 without a " + String.join(", ", missing) + " hierarchy");
        }
        for (Path dir : byDir.keySet()) {
            if (!fs.isWritableDirectory(dir)) {
                return new NoWorkerCgroups("cgroup v1 hierarchy " + dir + " is not writable (the supervisor needs root"
                        + " or a delegated hierarchy)");
            }
        }
        List<Path> parents = List.copyOf(byDir.keySet());
        for (Path parent : parents) {
            HierarchyCgroups.removeStale(fs, parent, pidAlive);
        }
        String name = HierarchyCgroups.freeBaseName(fs, parents, pid);
        List<Hierarchy> hierarchies = new ArrayList<>();
        try {
            for (Map.Entry<Path, Set<String>> e : byDir.entrySet()) {
                Path base = e.getKey().resolve(name);
                fs.createDirectory(base);
                Hierarchy h = new Hierarchy(base, Set.copyOf(e.getValue()));
                hierarchies.add(h);
                V1WorkerCgroups.weighBase(fs, h, limits);
            }
        } catch (IOException e) {
            for (Hierarchy h : hierarchies) {
                try {
                    fs.removeDirectory(h.base());
                } catch (IOException ignored) {
                    // reported below
                }
            }
            return new NoWorkerCgroups(e.getMessage());
        }
        return new V1WorkerCgroups(fs, limits, hierarchies);
    }

    // ------------------------------------------------------------------ v2

    private WorkerCgroups chooseV2(CgroupLimits limits, String ownPath, List<Mount> mounts) throws IOException {
        Mount mount = mounts.stream().filter(m -> m.fsType().equals("cgroup2"))
                .filter(m -> ownPath.equals(m.root()) || ownPath.startsWith(m.root().endsWith("/") ? m.root() : m.root() + "/"))
                .findFirst().orElse(null);
        if (mount == null) {
            return new NoWorkerCgroups("cgroup v2 (" + ownPath + ") but no cgroup2 mount holds it");
        }
        String relative = ownPath.substring(mount.root().length()).replaceFirst("^/+", "");
        Path mountDir = resolve(mount.mountPoint());
        Path own = relative.isEmpty() ? mountDir : mountDir.resolve(relative);
        Path delegated;
        if (own.equals(mountDir)) {
            delegated = own;   // the root cgroup may hold processes and enable controllers
            String missing = missing(fs.read(own.resolve("cgroup.controllers")));
            if (!missing.isEmpty()) {
                return new NoWorkerCgroups("cgroup v2 root " + own + " lacks the controllers " + missing);
            }
            enableControllers(own);
        } else if (own.getFileName().toString().equals(SUPERVISOR_CGROUP)
                && missing(readOrBlank(own.getParent().resolve("cgroup.subtree_control"))).isEmpty()) {
            delegated = own.getParent();   // moved there by an earlier start in this process
        } else {
            String missing = missing(readOrBlank(own.resolve("cgroup.controllers")));
            if (!missing.isEmpty()) {
                return new NoWorkerCgroups("cgroup v2 " + own + " lacks the controllers " + missing
                        + " (run the agent as a systemd service with Delegate=yes)");
            }
            if (!fs.isWritableDirectory(own) || (fs.exists(own.resolve("cgroup.subtree_control"))
                    && !Files.isWritable(own.resolve("cgroup.subtree_control")))) {
                return new NoWorkerCgroups("cgroup v2 " + own + " is not delegated to this user"
                        + " (run the agent as a systemd service with Delegate=yes)");
            }
            Path self = own.resolve(SUPERVISOR_CGROUP);
            fs.createDirectory(self);
            fs.write(self.resolve("cgroup.procs"), Long.toString(pid));
            try {
                enableControllers(own);
            } catch (IOException e) {
                try {
                    fs.write(own.resolve("cgroup.procs"), Long.toString(pid));   // back where systemd put us
                    fs.removeDirectory(self);
                } catch (IOException undo) {
                    LOG.warn("cgroups - cannot move the supervisor back from {}: {}", self, CgroupFs.reason(undo));
                }
                return new NoWorkerCgroups(e.getMessage() + " (another process in " + own + "?)");
            }
            LOG.info("cgroups - moved the supervisor (pid {}) into {}", pid, self);
            delegated = own;
        }
        HierarchyCgroups.removeStale(fs, delegated, pidAlive);
        Path base = delegated.resolve(HierarchyCgroups.freeBaseName(fs, List.of(delegated), pid));
        fs.createDirectory(base);
        try {
            fs.write(base.resolve("cgroup.subtree_control"), V2WorkerCgroups.CONTROLLERS);
        } catch (IOException e) {
            fs.removeDirectory(base);
            return new NoWorkerCgroups(e.getMessage());
        }
        if (delegated.equals(mountDir)) {
            // the supervisor stays in the root cgroup, each of its threads weighing as much as the
            // base cgroup would at the default weight: weigh it as the workers' VMs, as under v1
            HierarchyCgroups.writeWeight(fs, base.resolve("cpu.weight"), limits.baseCpuWeight());
        }
        return new V2WorkerCgroups(fs, limits, new Hierarchy(base, CONTROLLERS));
    }

    private void enableControllers(Path dir) throws IOException {
        if (missing(readOrBlank(dir.resolve("cgroup.subtree_control"))).isEmpty()) {
            return;
        }
        fs.write(dir.resolve("cgroup.subtree_control"), V2WorkerCgroups.CONTROLLERS);
    }

    private String readOrBlank(Path file) {
        try {
            return fs.read(file);
        } catch (IOException e) {
            return "";
        }
    }

    private static String missing(String controllersText) {
        Set<String> present = Set.of(controllersText.trim().split("\\s+"));
        return CONTROLLERS.stream().filter(c -> !present.contains(c)).sorted()
                .reduce((a, b) -> a + ", " + b).orElse("");
    }

    private Path resolve(String absolute) {
        return fsRoot.resolve(absolute.replaceFirst("^/+", ""));
    }

    // ------------------------------------------------------------------ parsing

    /** Parses {@code /proc/self/cgroup}; lines that do not have three fields are skipped. */
    static List<ProcCgroup> parseProcCgroup(String text) {
        List<ProcCgroup> lines = new ArrayList<>();
        for (String line : text.split("\n")) {
            String[] fields = line.strip().split(":", 3);
            if (fields.length != 3) {
                continue;
            }
            try {
                List<String> controllers = fields[1].isEmpty() ? List.of() : List.of(fields[1].split(","));
                lines.add(new ProcCgroup(Integer.parseInt(fields[0]), controllers, fields[2]));
            } catch (NumberFormatException e) {
                // not a cgroup line
            }
        }
        return lines;
    }

    /**
     * The cgroup and cgroup2 mounts of {@code /proc/self/mountinfo}: {@code id parent maj:min root
     * mount-point options [optional…] - fstype source super-options}.
     */
    static List<Mount> parseMountinfo(String text) {
        List<Mount> mounts = new ArrayList<>();
        for (String line : text.split("\n")) {
            String[] fields = line.strip().split(" ");
            int dash = List.of(fields).indexOf("-");
            if (dash < 6 || fields.length < dash + 3) {
                continue;
            }
            String fsType = fields[dash + 1];
            if (!fsType.equals("cgroup") && !fsType.equals("cgroup2")) {
                continue;
            }
            String superOptions = fields.length > dash + 3 ? fields[dash + 3] : "";
            mounts.add(new Mount(unescape(fields[3]), unescape(fields[4]), fsType,
                    Set.of(superOptions.split(","))));
        }
        return mounts;
    }

    /** mountinfo escapes space, tab, newline and backslash as {@code \ooo}. */
    static String unescape(String field) {
        if (field.indexOf('\\') < 0) {
            return field;
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length() && field.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
