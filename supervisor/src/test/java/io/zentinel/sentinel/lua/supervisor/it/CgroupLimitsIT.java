package io.zentinel.sentinel.lua.supervisor.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zentinel.sentinel.lua.supervisor.Supervisor;
import io.zentinel.sentinel.lua.supervisor.cgroup.CgroupExits;
import io.zentinel.sentinel.lua.supervisor.cgroup.WorkerCgroup;
import io.zentinel.sentinel.lua.supervisor.cgroup.WorkerCgroups;
import io.zentinel.sentinel.lua.supervisor.config.WorkerConfig;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerExitStatus;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerLauncher;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerRuntime;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerState;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerStatus;
import io.zentinel.sentinel.lua.supervisor.proxy.FakeProxy;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real cgroups on this host (issue 4): skipped, with the reason, where the supervisor could not
 * use any (not root, or nothing mounted and writable).
 */
class CgroupLimitsIT {
    private static final Duration PATIENCE = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    private final List<Process> children = new ArrayList<>();

    @AfterEach
    void killChildren() throws InterruptedException {
        for (Process p : children) {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static WorkerConfig workers(long heapBytes, long memoryBytes, int cpuPercent) {
        return new WorkerConfig(1, 1, heapBytes, memoryBytes, cpuPercent, 64, Duration.ofSeconds(10),
                Duration.ofMillis(250), Duration.ofSeconds(2), 0, 0, Duration.ofHours(1), 1_000_000, 0);
    }

    private static WorkerCgroups cgroupsOrSkip(WorkerConfig workers) {
        if (!"root".equals(System.getProperty("user.name"))) {
            Assumptions.assumeTrue(false, "needs root: the cgroup v1 hierarchies of this host are root-owned");
        }
        WorkerCgroups cgroups = WorkerCgroups.detect(workers);
        if (cgroups.mode() == WorkerCgroups.Mode.NONE) {
            Assumptions.assumeTrue(false, "no usable cgroups here: " + cgroups.description());
        }
        return cgroups;
    }

    /** {@code java [jvmArgs] -cp <test classpath> CgroupChildMain mode}, behind {@code prefix}. */
    private Process child(List<String> prefix, List<String> jvmArgs, String mode) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(WorkerRuntime.currentJava());
        command.addAll(jvmArgs);
        command.addAll(List.of("-Xlog:disable", "-cp", System.getProperty("java.class.path"),
                CgroupChildMain.class.getName(), mode));
        Process process = new ProcessBuilder(WorkerLauncher.placed(prefix, command))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        children.add(process);
        return process;
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "waited " + PATIENCE + " for " + what);
            TimeUnit.MILLISECONDS.sleep(100);
        }
    }

    private static String procCgroup(long pid) throws IOException {
        return Files.readString(Path.of("/proc/" + pid + "/cgroup"));
    }

    @Test
    void aSpinningChildIsThrottledByItsCgroupWhileAnotherProcessKeepsGoing() throws Exception {
        try (WorkerCgroups cgroups = cgroupsOrSkip(workers(32L << 20, 256L << 20, 20))) {
            WorkerCgroup cgroup = cgroups.create(1);
            Process spinning = child(cgroup.placeCommandPrefix(), List.of(), "spin");
            Process other = child(List.of(), List.of(), "tick");
            BufferedReader spinOut = new BufferedReader(
                    new InputStreamReader(spinning.getInputStream(), StandardCharsets.UTF_8));
            AtomicLong ticks = new AtomicLong();
            Thread.ofVirtual().start(() -> {
                try (BufferedReader in = new BufferedReader(
                        new InputStreamReader(other.getInputStream(), StandardCharsets.UTF_8))) {
                    while (in.readLine() != null) {
                        ticks.incrementAndGet();
                    }
                } catch (IOException e) {
                    // the process was killed
                }
            });

            // started inside: the JVM sized itself from the 20% quota, and the pid is in the cgroup
            assertEquals("processors=1", spinOut.readLine());
            for (Path path : cgroup.paths()) {
                String relative = path.toString().substring(path.toString().indexOf("sentinel-lua-agent-"));
                assertTrue(procCgroup(spinning.pid()).contains(relative), procCgroup(spinning.pid()));
            }
            await("nr_throttled > 0", () -> cgroup.throttledCount() > 0);
            long first = cgroup.throttledCount();
            long ticksThen = ticks.get();
            await("nr_throttled to grow past " + first, () -> cgroup.throttledCount() > first);
            await("the other process to keep going", () -> ticks.get() > ticksThen + 3);
            assertTrue(spinning.isAlive());

            spinning.destroyForcibly();
            spinning.waitFor(30, TimeUnit.SECONDS);
            cgroup.close();
            for (Path path : cgroup.paths()) {
                assertFalse(Files.exists(path), path + " removed");
            }
        }
    }

    @Test
    void aChildOverItsMemoryLimitIsKilledByTheKernelAndCounted() throws Exception {
        try (WorkerCgroups cgroups = cgroupsOrSkip(workers(16L << 20, 96L << 20, 100))) {
            WorkerCgroup cgroup = cgroups.create(2);
            assertEquals(0, cgroup.oomKills());
            // the heap may grow far past the cgroup: only the kernel stops it
            Process hungry = child(cgroup.placeCommandPrefix(), List.of("-Xmx512m", "-XX:+UseSerialGC"), "alloc");

            assertTrue(hungry.waitFor(PATIENCE.toSeconds(), TimeUnit.SECONDS), "killed within " + PATIENCE);

            assertEquals(137, hungry.exitValue());
            assertTrue(cgroup.oomKills() >= 1, "oom_kill " + cgroup.oomKills());
            WorkerExitStatus status = CgroupExits.withCgroupCause(
                    new WorkerExitStatus(hungry.exitValue(), null, false), cgroup.oomKills());
            assertEquals("killed: cgroup memory limit (oom_kill) (killed by SIGKILL (exit 137))", status.describe());
            cgroup.close();
            for (Path path : cgroup.paths()) {
                assertFalse(Files.exists(path), path + " removed");
            }
        }
    }

    @Test
    void theAgentStartsEachWorkerInItsOwnCgroupAndRemovesTheCgroupsOfEndedWorkers() throws Exception {
        if (!"root".equals(System.getProperty("user.name"))) {
            Assumptions.assumeTrue(false, "needs root: the cgroup v1 hierarchies of this host are root-owned");
        }
        Set<Path> bases;
        try (AgentHarness agent = new AgentHarness(dir).scriptResource("seed-example.lua")) {
            Supervisor supervisor = agent.start("workers { count 2 }");
            WorkerCgroups cgroups = supervisor.cgroups();
            Assumptions.assumeTrue(cgroups.mode() != WorkerCgroups.Mode.NONE, cgroups.description());
            await("2 ready workers", () -> agent.readyWorkerPids().size() == 2);
            List<WorkerStatus> workers = supervisor.pool().snapshot().stream()
                    .filter(w -> w.state() == WorkerState.READY).toList();
            List<Path> killedPaths = null;
            for (WorkerStatus w : workers) {
                WorkerCgroup cgroup = cgroups.find(w.id()).orElseThrow();
                for (Path path : cgroup.paths()) {
                    assertEquals(Long.toString(w.pid()), Files.readString(path.resolve("cgroup.procs")).strip(),
                            path.toString());
                }
                killedPaths = cgroup.paths();
            }
            bases = workers.stream().flatMap(w -> cgroups.find(w.id()).orElseThrow().paths().stream())
                    .map(Path::getParent).collect(Collectors.toSet());

            WorkerStatus victim = workers.getLast();
            ProcessHandle.of(victim.pid()).orElseThrow().destroyForcibly();
            List<Path> gone = killedPaths;
            await("the killed worker's cgroup to be removed", () -> gone.stream().noneMatch(Files::exists));
            await("a replacement in a cgroup of its own", () -> supervisor.pool().snapshot().stream()
                    .anyMatch(w -> w.id() != victim.id() && w.state() == WorkerState.READY
                            && workers.stream().noneMatch(old -> old.id() == w.id())
                            && cgroups.find(w.id()).isPresent()));
        }
        for (Path base : bases) {
            assertFalse(Files.exists(base), base + " removed when the agent stopped");
        }
    }

    /**
     * Holds 40 MiB during one call (under resource-limits.max-memory, 50 MiB): the heap must grow
     * into fresh pages while the call runs.
     */
    private static final String HOG = """
            -- name: hog
            -- hook: request_headers
            function on_request_headers(request)
                local t = {}
                for i = 1, 40 do t[i] = string.rep("x", 1048576 - i) end
                sentinel.set_decision("allow")
            end
            """;

    @Test
    void aWorkerOverItsCgroupMemoryLimitIsKilledByTheKernelAndReplaced() throws Exception {
        if (!"root".equals(System.getProperty("user.name"))) {
            Assumptions.assumeTrue(false, "needs root: the cgroup v1 hierarchies of this host are root-owned");
        }
        try (LogTap log = new LogTap(); AgentHarness agent = new AgentHarness(dir).script("hog.lua", HOG)) {
            Supervisor supervisor = agent.start("workers { count 1 }");
            WorkerCgroups cgroups = supervisor.cgroups();
            Assumptions.assumeTrue(cgroups.mode() != WorkerCgroups.Mode.NONE, cgroups.description());
            await("a ready worker", () -> agent.readyWorkerPids().size() == 1);
            WorkerStatus victim = supervisor.pool().snapshot().getFirst();
            WorkerCgroup cgroup = cgroups.find(victim.id()).orElseThrow();
            Path memory = cgroup.paths().stream()
                    .filter(p -> Files.exists(p.resolve("memory.limit_in_bytes")) || Files.exists(p.resolve("memory.max")))
                    .findFirst().orElseThrow();
            boolean v1 = Files.exists(memory.resolve("memory.limit_in_bytes"));
            // shrink the limit to 24 MiB above what the running worker uses: it runs on, but its
            // heap cannot grow by 40 MiB
            long usage = Long.parseLong(Files.readString(memory.resolve(v1 ? "memory.usage_in_bytes" : "memory.current")).strip());
            Files.writeString(memory.resolve(v1 ? "memory.limit_in_bytes" : "memory.max"), Long.toString(usage + (24L << 20)));

            FakeProxy proxy = agent.connect();
            long deadline = System.nanoTime() + PATIENCE.toNanos();
            List<String> failures = new ArrayList<>();
            for (int n = 0; ProcessHandle.of(victim.pid()).map(ProcessHandle::isAlive).orElse(false); n++) {
                assertTrue(System.nanoTime() < deadline, "worker still alive after " + n + " requests");
                String id = "hog-" + n;
                failures.addAll(PacedLoad.failureTags(proxy.request(FakeProxy.requestHeaders(id, "GET", "/",
                        java.util.Map.of("host", List.of("example.com")))).get(PATIENCE.toSeconds(), TimeUnit.SECONDS)));
            }

            await("a replacement worker", () -> supervisor.pool().snapshot().stream()
                    .anyMatch(w -> w.id() != victim.id() && w.state() == WorkerState.READY));
            WorkerStatus replacement = supervisor.pool().snapshot().stream()
                    .filter(w -> w.id() != victim.id()).findFirst().orElseThrow();
            // the kernel's kill reads as the memory breach it is: in the log, status and the failure cause
            String expected = "worker-" + victim.id() + " - killed: cgroup memory limit (oom_kill) (killed by SIGKILL (exit 137))";
            assertEquals(expected, replacement.lastExit());
            assertEquals(1, log.matching("WorkerHandle - " + java.util.regex.Pattern.quote(expected)).size());
            assertEquals(expected, supervisor.status().workers().stream().filter(w -> w.id() == replacement.id())
                    .findFirst().orElseThrow().lastExit());
            // the event in flight when the kernel struck is answered with the failure mode, as memory-limit
            assertEquals(List.of("lua-agent:fail-open", "lua-agent:memory-limit"), failures);
            await("the killed worker's cgroup to be removed", () -> cgroup.paths().stream().noneMatch(Files::exists));
            assertTrue(cgroup.oomKills() >= 1, "oom_kill read before the removal: " + cgroup.oomKills());
        }
    }
}
