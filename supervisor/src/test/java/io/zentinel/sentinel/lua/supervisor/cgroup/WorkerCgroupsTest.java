package io.zentinel.sentinel.lua.supervisor.cgroup;

import static io.zentinel.sentinel.lua.supervisor.cgroup.TreeFs.cgroup;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zentinel.sentinel.lua.supervisor.cgroup.HierarchyCgroups.Hierarchy;
import io.zentinel.sentinel.lua.supervisor.config.WorkerConfig;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerExitStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkerCgroupsTest {
    private static final CgroupLimits LIMITS = new CgroupLimits(50_000, 128L << 20, (128L << 20) / 100 * 90, 64, 8192);

    @TempDir
    Path root;

    private final TreeFs fs = new TreeFs();

    private V1WorkerCgroups v1() throws IOException {
        return new V1WorkerCgroups(fs, LIMITS, List.of(
                new Hierarchy(cgroup(root.resolve("cpu/base")), Set.of("cpu")),
                new Hierarchy(cgroup(root.resolve("memory/base")), Set.of("memory")),
                new Hierarchy(cgroup(root.resolve("pids/base")), Set.of("pids"))));
    }

    private static String read(Path file) throws IOException {
        return Files.readString(file, StandardCharsets.UTF_8);
    }

    @Test
    void limitsComeFromTheWorkersBlock() {
        WorkerConfig workers = new WorkerConfig(2, 4, 64L << 20, 128L << 20, 250, 64, Duration.ofSeconds(10),
                Duration.ofMillis(250), Duration.ofSeconds(2), 0, 0, Duration.ofHours(1), 1_000_000, 0);

        assertEquals(new CgroupLimits(250_000, 128L << 20, 120795930L, 64, 8192), CgroupLimits.of(workers));
    }

    @Test
    void eachLuaVmWeighsAsOneThreadWithinTheKernelsBoundsOfCpuShares() {
        assertEquals(1024, CgroupLimits.shares(1));
        assertEquals(262_144, CgroupLimits.shares(256 * 64), "cpu.shares is at most 262144");
        assertEquals(800, LIMITS.baseCpuWeight(), "cpu.weight 100 weighs as one thread");
        assertEquals(10_000, new CgroupLimits(1, 1, 1, 1, 262_144).baseCpuWeight(), "at most 10000");
        assertEquals(1, new CgroupLimits(1, 1, 1, 1, 2).baseCpuWeight(), "at least 1");
    }

    @Test
    void v1WritesTheCpuQuotaMemoryLimitAndPidsLimitInEachHierarchy() throws IOException {
        V1WorkerCgroups cgroups = v1();

        WorkerCgroup cgroup = cgroups.create(3);

        Path cpu = root.resolve("cpu/base/worker-3");
        Path memory = root.resolve("memory/base/worker-3");
        Path pids = root.resolve("pids/base/worker-3");
        assertEquals(List.of(cpu, memory, pids), cgroup.paths());
        assertEquals(cpu, cgroup.path());
        assertEquals("100000", read(cpu.resolve("cpu.cfs_period_us")));
        assertEquals("50000", read(cpu.resolve("cpu.cfs_quota_us")));
        assertFalse(Files.exists(cpu.resolve("cpu.shares")), "workers keep the default weight among themselves");
        assertEquals(Long.toString(128L << 20), read(memory.resolve("memory.limit_in_bytes")));
        assertFalse(Files.exists(memory.resolve("memory.memsw.limit_in_bytes")), "only where swap is accounted");
        assertEquals("64", read(pids.resolve("pids.max")));
        assertEquals(cgroup, cgroups.find(3).orElseThrow());
    }

    @Test
    void v1AlsoLimitsSwapWhereTheKernelAccountsIt() throws IOException {
        V1WorkerCgroups cgroups = v1();
        cgroup(root.resolve("memory/base/worker-1"), "memory.memsw.limit_in_bytes", "9223372036854771712",
                "memory.swappiness", "60");

        cgroups.create(1);

        assertEquals(Long.toString(128L << 20), read(root.resolve("memory/base/worker-1/memory.memsw.limit_in_bytes")));
        assertEquals("0", read(root.resolve("memory/base/worker-1/memory.swappiness")));
    }

    @Test
    void v1ReadsTheThrottlingAndOomKillCounters() throws IOException {
        WorkerCgroup cgroup = v1().create(2);
        Files.writeString(root.resolve("cpu/base/worker-2/cpu.stat"),
                "nr_periods 54\nnr_throttled 51\nthrottled_time 3270000000\n");
        Files.writeString(root.resolve("memory/base/worker-2/memory.oom_control"),
                "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n");

        assertEquals(51, cgroup.throttledCount());
        assertEquals(1, cgroup.oomKills());
        cgroup.close();
        assertFalse(Files.exists(root.resolve("memory/base/worker-2")));
        assertEquals(51, cgroup.throttledCount(), "as read before the removal");
        assertEquals(1, cgroup.oomKills(), "as read before the removal");
    }

    @Test
    void countersAreMinusOneWhenTheKernelHasNoSuchFile() throws IOException {
        WorkerCgroup cgroup = v1().create(2);

        assertEquals(-1, cgroup.throttledCount());
        assertEquals(-1, cgroup.oomKills());
    }

    @Test
    void thePrefixPlacesTheShellInEveryHierarchyDropsCoreDumpsAndExecsTheCommand() throws IOException {
        WorkerCgroup cgroup = v1().create(5);

        assertEquals(List.of("/bin/sh", "-c", "ulimit -c 0; "
                + "echo $$ > '" + root.resolve("cpu/base/worker-5/cgroup.procs") + "' || exit 71; "
                + "echo $$ > '" + root.resolve("memory/base/worker-5/cgroup.procs") + "' || exit 71; "
                + "echo $$ > '" + root.resolve("pids/base/worker-5/cgroup.procs") + "' || exit 71; "
                + "exec \"$0\" \"$@\""), cgroup.placeCommandPrefix());
    }

    @Test
    void closingAWorkerCgroupRemovesItsDirectoriesAndClosingAllRemovesTheBases() throws IOException {
        V1WorkerCgroups cgroups = v1();
        WorkerCgroup three = cgroups.create(3);
        cgroups.create(4);

        three.close();
        three.close();

        assertFalse(Files.exists(root.resolve("cpu/base/worker-3")));
        assertFalse(Files.exists(root.resolve("pids/base/worker-3")));
        assertTrue(cgroups.find(3).isEmpty());
        assertTrue(Files.exists(root.resolve("cpu/base/worker-4")));
        cgroups.close();
        assertFalse(Files.exists(root.resolve("cpu/base")));
        assertFalse(Files.exists(root.resolve("memory/base")));
        assertThrows(IOException.class, () -> cgroups.create(5));
    }

    @Test
    void removalRetriesWhileTheKernelStillCountsTheExitedProcess() throws Exception {
        WorkerCgroup cgroup = v1().create(6);
        Path procs = root.resolve("memory/base/worker-6/cgroup.procs");
        Files.writeString(procs, "12345\n");
        Thread.ofVirtual().start(() -> {
            try {
                TimeUnit.MILLISECONDS.sleep(150);
                Files.writeString(procs, "");
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });

        cgroup.close();

        assertFalse(Files.exists(root.resolve("memory/base/worker-6")));
    }

    @Test
    void aCgroupThatCannotBeFullySetUpIsRemovedAgain() throws IOException {
        V1WorkerCgroups cgroups = v1();
        fs.readOnly.add(root.resolve("pids/base/worker-7"));

        IOException e = assertThrows(IOException.class, () -> cgroups.create(7));

        assertTrue(e.getMessage().startsWith("cannot write '64' to " + root.resolve("pids/base/worker-7/pids.max")),
                e.getMessage());
        assertFalse(Files.exists(root.resolve("cpu/base/worker-7")));
        assertFalse(Files.exists(root.resolve("memory/base/worker-7")));
        assertTrue(cgroups.find(7).isEmpty());
    }

    @Test
    void v2WritesCpuMaxMemoryMaxAndHighSwapAndPids() throws IOException {
        Path base = cgroup(root.resolve("svc/sentinel-lua-agent-1"));
        V2WorkerCgroups cgroups = new V2WorkerCgroups(fs, LIMITS, new Hierarchy(base, CgroupDetector.CONTROLLERS));
        cgroup(base.resolve("worker-1"), "memory.swap.max", "max");

        WorkerCgroup cgroup = cgroups.create(1);

        Path dir = base.resolve("worker-1");
        assertEquals(List.of(dir), cgroup.paths());
        assertEquals("50000 100000", read(dir.resolve("cpu.max")));
        assertEquals(Long.toString(128L << 20), read(dir.resolve("memory.max")));
        assertEquals("120795930", read(dir.resolve("memory.high")));
        assertEquals("0", read(dir.resolve("memory.swap.max")));
        assertEquals("64", read(dir.resolve("pids.max")));
        Files.writeString(dir.resolve("cpu.stat"), "usage_usec 100\nnr_periods 9\nnr_throttled 7\nthrottled_usec 5\n");
        Files.writeString(dir.resolve("memory.events"), "low 0\nhigh 3\nmax 2\noom 1\noom_kill 1\n");
        assertEquals(7, cgroup.throttledCount());
        assertEquals(1, cgroup.oomKills());
        assertEquals(List.of("/bin/sh", "-c", "ulimit -c 0; echo $$ > '" + dir.resolve("cgroup.procs")
                + "' || exit 71; exec \"$0\" \"$@\""), cgroup.placeCommandPrefix());
        cgroups.close();
        assertFalse(Files.exists(base));
    }

    @Test
    void noCgroupsGiveAnEmptyPrefixAndUnknownCounters() throws IOException {
        WorkerCgroups none = WorkerCgroups.none("not requested");
        WorkerCgroup cgroup = none.create(1);

        assertEquals(WorkerCgroups.Mode.NONE, none.mode());
        assertEquals("none: not requested", none.description());
        assertEquals(List.of(), cgroup.placeCommandPrefix());
        assertEquals(-1, cgroup.oomKills());
        assertTrue(none.find(1).isEmpty());
    }

    // ------------------------------------------------------------------ exits

    @Test
    void aSigkillWeDidNotSendWhileTheCgroupCountedAnOomKillIsTheCgroupMemoryLimit() {
        WorkerExitStatus status = CgroupExits.withCgroupCause(new WorkerExitStatus(137, null, false), 1);

        assertEquals("killed: cgroup memory limit (oom_kill) (killed by SIGKILL (exit 137))", status.describe());
    }

    @Test
    void otherExitsKeepTheirDescription() {
        WorkerExitStatus ours = new WorkerExitStatus(137, "missed heartbeat", false);
        WorkerExitStatus noOom = new WorkerExitStatus(137, null, false);
        WorkerExitStatus heap = new WorkerExitStatus(3, null, false);

        assertEquals(ours, CgroupExits.withCgroupCause(ours, 1));
        assertEquals(noOom, CgroupExits.withCgroupCause(noOom, 0));
        assertEquals(noOom, CgroupExits.withCgroupCause(noOom, -1));
        assertEquals(heap, CgroupExits.withCgroupCause(heap, 1));
    }

    @Test
    void theOomCountIsReadOnlyForASigkillWeDidNotSend() {
        AtomicInteger reads = new AtomicInteger();
        LongSupplier oomKills = () -> {
            reads.incrementAndGet();
            return 1;
        };

        assertEquals(new WorkerExitStatus(3, null, false),
                CgroupExits.withCgroupCause(new WorkerExitStatus(3, null, false), oomKills));
        assertEquals(new WorkerExitStatus(137, "missed heartbeat", false),
                CgroupExits.withCgroupCause(new WorkerExitStatus(137, "missed heartbeat", false), oomKills));
        assertEquals(0, reads.get());
        assertEquals(new WorkerExitStatus(137, CgroupExits.OOM_KILL, true),
                CgroupExits.withCgroupCause(new WorkerExitStatus(137, null, true), oomKills));
        assertEquals(1, reads.get());
    }

    @Test
    void anOomCountTheKernelHasNotMadeYetIsReadAgainBriefly() {
        AtomicInteger reads = new AtomicInteger();
        LongSupplier countedOnTheThirdRead = () -> reads.incrementAndGet() >= 3 ? 1 : 0;

        assertEquals(new WorkerExitStatus(137, CgroupExits.OOM_KILL, false),
                CgroupExits.withCgroupCause(new WorkerExitStatus(137, null, false), countedOnTheThirdRead));
        assertEquals(3, reads.get());

        reads.set(0);
        assertEquals(new WorkerExitStatus(137, null, false),
                CgroupExits.withCgroupCause(new WorkerExitStatus(137, null, false), () -> {
                    reads.incrementAndGet();
                    return 0;
                }));
        assertEquals(CgroupExits.OOM_COUNT_READS, reads.get(), "a SIGKILL from elsewhere: a bounded number of reads");
    }
}
