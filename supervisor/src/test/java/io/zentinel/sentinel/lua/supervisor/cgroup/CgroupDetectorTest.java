package io.zentinel.sentinel.lua.supervisor.cgroup;

import static io.zentinel.sentinel.lua.supervisor.cgroup.TreeFs.cgroup;
import static io.zentinel.sentinel.lua.supervisor.cgroup.TreeFs.fixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zentinel.sentinel.lua.supervisor.cgroup.CgroupDetector.Mount;
import io.zentinel.sentinel.lua.supervisor.cgroup.CgroupDetector.ProcCgroup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CgroupDetectorTest {
    private static final long PID = 4242;
    private static final CgroupLimits LIMITS = new CgroupLimits(50_000, 128L << 20, (128L << 20) / 100 * 90, 64, 8192);

    @TempDir
    Path root;

    private final TreeFs fs = new TreeFs();

    private CgroupDetector detector(String cgroupFixture, String mountinfoFixture) throws IOException {
        return new CgroupDetector(fs, root, fixture(cgroupFixture), fixture(mountinfoFixture), PID, pid -> pid == PID);
    }

    /** A tree whose writes to control files named {@code name} fail as the kernel's would, with {@code reason}. */
    private static CgroupFs refusing(String name, String reason) {
        return new TreeFs() {
            @Override
            void write(Path file, String value) throws IOException {
                if (file.getFileName().toString().equals(name)) {
                    throw new IOException("cannot write '" + value + "' to " + file + ": " + reason);
                }
                super.write(file, value);
            }
        };
    }

    private Path v1(String hierarchy) throws IOException {
        return cgroup(root.resolve("sys/fs/cgroup").resolve(hierarchy), "cgroup.procs", "");
    }

    // ------------------------------------------------------------------ parsing

    @Test
    void parsesEveryLineOfProcSelfCgroupOnAHybridHost() throws IOException {
        List<ProcCgroup> lines = CgroupDetector.parseProcCgroup(fixture("v1-hybrid.cgroup"));

        assertEquals(10, lines.size());
        assertEquals(new ProcCgroup(4, List.of("memory"), "/user.slice"), lines.get(5));
        assertEquals(new ProcCgroup(9, List.of("name=systemd"), "/"), lines.getFirst());
        assertEquals(new ProcCgroup(0, List.of(), "/"), lines.getLast());
    }

    @Test
    void parsesTheSingleUnifiedLineOfACgroupV2Host() throws IOException {
        assertEquals(List.of(new ProcCgroup(0, List.of(), "/system.slice/sentinel-lua-agent.service")),
                CgroupDetector.parseProcCgroup(fixture("v2-systemd.cgroup")));
    }

    @Test
    void keepsOnlyCgroupMountsWithTheirControllers() throws IOException {
        List<Mount> mounts = CgroupDetector.parseMountinfo(fixture("v1-hybrid.mountinfo"));

        assertEquals(10, mounts.size());
        assertEquals(new Mount("/", "/sys/fs/cgroup/cpu", "cgroup", Set.of("rw", "cpu")), mounts.getFirst());
        assertEquals(new Mount("/", "/sys/fs/cgroup/unified", "cgroup2", Set.of("rw")), mounts.getLast());
    }

    @Test
    void decodesOctalEscapesAndSkipsOptionalFields() {
        List<Mount> mounts = CgroupDetector.parseMountinfo(
                "40 31 0:37 /a\\040b /sys/fs/cgroup/my\\040cpu rw shared:9 master:2 - cgroup cgroup rw,cpu,cpuacct\n");

        assertEquals(List.of(new Mount("/a b", "/sys/fs/cgroup/my cpu", "cgroup", Set.of("rw", "cpu", "cpuacct"))),
                mounts);
    }

    // ------------------------------------------------------------------ v1

    @Test
    void choosesV1OnAHybridHostAndCreatesABaseDirectoryAtTheRootOfEachHierarchy() throws IOException {
        Path cpu = v1("cpu");
        Path memory = v1("memory");
        Path pids = v1("pids");

        WorkerCgroups cgroups = detector("v1-hybrid.cgroup", "v1-hybrid.mountinfo").detect(LIMITS);

        assertEquals(WorkerCgroups.Mode.V1, cgroups.mode());
        for (Path hierarchy : List.of(cpu, memory, pids)) {
            assertTrue(Files.isDirectory(hierarchy.resolve("sentinel-lua-agent-4242")), hierarchy.toString());
        }
        assertTrue(cgroups.description().startsWith("cgroup v1 under " + cpu.resolve("sentinel-lua-agent-4242")
                + " [cpu], "), cgroups.description());
        assertEquals("8192", Files.readString(cpu.resolve("sentinel-lua-agent-4242/cpu.shares")),
                "the base cgroup weighs as all the workers' Lua VMs");
        assertFalse(Files.exists(memory.resolve("sentinel-lua-agent-4242/cpu.shares")));
        cgroups.close();
        assertFalse(Files.exists(cpu.resolve("sentinel-lua-agent-4242")));
        assertFalse(Files.exists(pids.resolve("sentinel-lua-agent-4242")));
    }

    @Test
    void aSecondAgentInTheSameProcessGetsItsOwnBaseDirectory() throws IOException {
        v1("cpu");
        v1("memory");
        v1("pids");
        CgroupDetector detector = detector("v1-hybrid.cgroup", "v1-hybrid.mountinfo");

        try (WorkerCgroups first = detector.detect(LIMITS); WorkerCgroups second = detector.detect(LIMITS)) {
            assertTrue(first.description().contains("sentinel-lua-agent-4242 "), first.description());
            assertTrue(second.description().contains("sentinel-lua-agent-4242-2 "), second.description());
        }
    }

    @Test
    void removesTheBaseDirectoriesOfSupervisorsThatAreGoneButNotOfLiveOnes() throws IOException {
        Path cpu = v1("cpu");
        v1("memory");
        v1("pids");
        cgroup(cpu.resolve("sentinel-lua-agent-77/worker-1"), "cgroup.procs", "", "cpu.cfs_quota_us", "50000");
        cgroup(cpu.resolve("sentinel-lua-agent-77-2"), "cgroup.procs", "");
        cgroup(cpu.resolve("sentinel-lua-agent-88"), "cgroup.procs", "");
        cgroup(cpu.resolve("other"), "cgroup.procs", "");
        CgroupDetector detector = new CgroupDetector(fs, root, fixture("v1-hybrid.cgroup"),
                fixture("v1-hybrid.mountinfo"), PID, pid -> pid == PID || pid == 88);

        detector.detect(LIMITS).close();

        assertFalse(Files.exists(cpu.resolve("sentinel-lua-agent-77")));
        assertFalse(Files.exists(cpu.resolve("sentinel-lua-agent-77-2")));
        assertTrue(Files.exists(cpu.resolve("sentinel-lua-agent-88")));
        assertTrue(Files.exists(cpu.resolve("other")));
    }

    @Test
    void noneWhenAV1HierarchyIsMissing() throws IOException {
        WorkerCgroups cgroups = detector("v1-no-pids.cgroup", "v1-no-pids.mountinfo").detect(LIMITS);

        assertEquals(WorkerCgroups.Mode.NONE, cgroups.mode());
        assertEquals("none: cgroup v1 without a pids hierarchy", cgroups.description());
    }

    @Test
    void noneWhenAV1HierarchyIsNotWritable() throws IOException {
        v1("cpu");
        fs.readOnly.add(v1("memory"));
        v1("pids");

        WorkerCgroups cgroups = detector("v1-hybrid.cgroup", "v1-hybrid.mountinfo").detect(LIMITS);

        assertEquals("none: cgroup v1 hierarchy " + root.resolve("sys/fs/cgroup/memory") + " is not writable"
                + " (the supervisor needs root or a delegated hierarchy)", cgroups.description());
        assertFalse(Files.exists(root.resolve("sys/fs/cgroup/cpu/sentinel-lua-agent-4242")));
    }

    @Test
    void noneWhenProcSelfCgroupIsEmpty() {
        WorkerCgroups cgroups = new CgroupDetector(fs, root, "", "", PID, pid -> true).detect(LIMITS);

        assertEquals("none: /proc/self/cgroup is empty or unreadable", cgroups.description());
    }

    // ------------------------------------------------------------------ v2

    private Path service() throws IOException {
        return cgroup(root.resolve("sys/fs/cgroup/system.slice/sentinel-lua-agent.service"),
                "cgroup.controllers", "cpuset cpu io memory pids\n", "cgroup.subtree_control", "\n",
                "cgroup.procs", PID + "\n");
    }

    @Test
    void underADelegatedV2CgroupMovesItselfIntoSupervisorAndEnablesTheControllers() throws IOException {
        Path service = service();

        WorkerCgroups cgroups = detector("v2-systemd.cgroup", "v2-systemd.mountinfo").detect(LIMITS);

        assertEquals(WorkerCgroups.Mode.V2, cgroups.mode());
        assertEquals("4242", Files.readString(service.resolve("supervisor/cgroup.procs")));
        assertEquals("+cpu +memory +pids", Files.readString(service.resolve("cgroup.subtree_control")));
        Path base = service.resolve("sentinel-lua-agent-4242");
        assertEquals("+cpu +memory +pids", Files.readString(base.resolve("cgroup.subtree_control")));
        assertFalse(Files.exists(base.resolve("cpu.weight")), "beside the supervisor's own cgroup, of equal weight");
        assertEquals("cgroup v2 under " + base + " [cpu, memory, pids]; per worker: cpu 50000/100000 us, memory "
                + (128L << 20) + " bytes, pids 64", cgroups.description());
        cgroups.close();
        assertFalse(Files.exists(base));
    }

    @Test
    void inTheV2RootCgroupTheSupervisorStaysAndTheBaseWeighsAsTheWorkersVms() throws IOException {
        Path mount = cgroup(root.resolve("sys/fs/cgroup"), "cgroup.controllers", "cpuset cpu io memory pids\n",
                "cgroup.subtree_control", "\n", "cgroup.procs", PID + "\n");

        WorkerCgroups cgroups = new CgroupDetector(fs, root, "0::/\n", fixture("v2-systemd.mountinfo"), PID,
                pid -> true).detect(LIMITS);

        assertEquals(WorkerCgroups.Mode.V2, cgroups.mode());
        assertFalse(Files.exists(mount.resolve("supervisor")), "the root cgroup may hold processes");
        Path base = mount.resolve("sentinel-lua-agent-4242");
        assertEquals("800", Files.readString(base.resolve("cpu.weight")), "8192 shares in v2's scale");
        cgroups.close();
    }

    @Test
    void aBaseWeightThatCannotBeWrittenLeavesTheDefaultAndKeepsTheLimits() throws IOException {
        Path cpu = v1("cpu");
        v1("memory");
        v1("pids");
        CgroupFs refusing = refusing("cpu.shares", "Permission denied");

        WorkerCgroups cgroups = new CgroupDetector(refusing, root, fixture("v1-hybrid.cgroup"),
                fixture("v1-hybrid.mountinfo"), PID, pid -> true).detect(LIMITS);

        assertEquals(WorkerCgroups.Mode.V1, cgroups.mode());
        assertFalse(Files.exists(cpu.resolve("sentinel-lua-agent-4242/cpu.shares")));
        cgroups.close();
    }

    @Test
    void aV2CgroupWithoutDelegatedControllersGivesNoneNamingDelegate() throws IOException {
        Path service = service();
        Files.writeString(service.resolve("cgroup.controllers"), "cpu pids\n");

        WorkerCgroups cgroups = detector("v2-systemd.cgroup", "v2-systemd.mountinfo").detect(LIMITS);

        assertEquals("none: cgroup v2 " + service + " lacks the controllers memory"
                + " (run the agent as a systemd service with Delegate=yes)", cgroups.description());
        assertFalse(Files.exists(service.resolve("supervisor")));
    }

    @Test
    void aV2CgroupThatCannotEnableControllersMovesTheSupervisorBack() throws IOException {
        Path service = service();
        CgroupFs refusing = refusing("cgroup.subtree_control", "Device or resource busy");

        WorkerCgroups cgroups = new CgroupDetector(refusing, root, fixture("v2-systemd.cgroup"),
                fixture("v2-systemd.mountinfo"), PID, pid -> true).detect(LIMITS);

        assertEquals(WorkerCgroups.Mode.NONE, cgroups.mode());
        assertTrue(cgroups.description().endsWith("(another process in " + service + "?)"), cgroups.description());
        assertEquals("4242", Files.readString(service.resolve("cgroup.procs")));
        assertFalse(Files.exists(service.resolve("supervisor")));
    }

    @Test
    void aSecondStartInTheSameProcessUsesTheAlreadyDelegatedParent() throws IOException {
        Path service = service();
        Files.writeString(service.resolve("cgroup.subtree_control"), "cpu memory pids\n");
        cgroup(service.resolve("supervisor"), "cgroup.procs", PID + "\n");
        String moved = "0::/system.slice/sentinel-lua-agent.service/supervisor\n";

        WorkerCgroups cgroups = new CgroupDetector(fs, root, moved, fixture("v2-systemd.mountinfo"), PID,
                pid -> true).detect(LIMITS);

        assertEquals(WorkerCgroups.Mode.V2, cgroups.mode());
        assertTrue(Files.isDirectory(service.resolve("sentinel-lua-agent-4242")));
        cgroups.close();
    }
}
