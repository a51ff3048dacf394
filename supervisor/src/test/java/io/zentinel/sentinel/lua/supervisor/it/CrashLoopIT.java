package io.zentinel.sentinel.lua.supervisor.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.zentinel.sentinel.lua.supervisor.Supervisor;
import io.zentinel.sentinel.lua.supervisor.admin.StatusReport;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerPool;
import io.zentinel.sentinel.lua.supervisor.pool.WorkerState;
import io.zentinel.sentinel.lua.supervisor.proxy.FakeProxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A crash loop with real worker JVMs: after the agent has started, every new worker JVM exits at
 * once (an unknown -XX flag, read from an argument file the test rewrites). The pool relaunches
 * with a doubling delay up to its cap, {@code status} shows it, and events are answered with the
 * failure mode meanwhile; once workers start again the loop ends and the backoff resets.
 */
class CrashLoopIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final long INITIAL_MS = 100;
    private static final long CAP_MS = 1600;
    /** Backoff 100 ms doubling to 1.6 s, reset after 3 s without an early death. */
    private static final WorkerPool.Tuning TUNING = new WorkerPool.Tuning(Duration.ofSeconds(10),
            Duration.ofMillis(INITIAL_MS), Duration.ofMillis(CAP_MS), Duration.ofSeconds(3), Duration.ofMillis(200));
    private static final Pattern BACKOFF = Pattern.compile(
            "worker-(\\d+) - .*; replacing it in (\\d+) ms \\(crash loop: (\\d+) early deaths in a row\\)");

    @TempDir
    Path dir;

    @Test
    void workersThatDieAtStartAreRelaunchedWithADoublingCappedDelayWhileEventsGetTheFailureMode() throws Exception {
        Path flags = Files.writeString(dir.resolve("worker-flags"), "-Dsentinel.lua.test=healthy\n");
        try (LogTap log = new LogTap();
             AgentHarness agent = new AgentHarness(dir).scriptResource("seed-example.lua")
                     .workerJvmArgs("@" + flags).tuning(TUNING)) {
            Supervisor supervisor = agent.start("workers { count 2 }\nsafety { fail-open true }");
            FakeProxy proxy = agent.connect();
            assertEquals(List.of(), PacedLoad.failureTags(answer(proxy, "before")));

            // from now on a worker JVM refuses to start; kill the two that run
            Files.writeString(flags, "-XX:+SentinelLuaTestNoSuchFlag\n");
            for (long pid : agent.readyWorkerPids()) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
            Await.until("the backoff to reach its cap twice", WAIT,
                    () -> log.matching("replacing it in " + CAP_MS + " ms").size() >= 2);

            // the delays double from the initial one, one step per early death, up to the cap
            List<LogTap.Line> backoffs = log.linesMatching(BACKOFF.pattern());
            List<String> seen = new ArrayList<>();
            for (LogTap.Line line : backoffs) {
                Matcher m = BACKOFF.matcher(line.text());
                assertTrue(m.find());
                long delay = Long.parseLong(m.group(2));
                int deaths = Integer.parseInt(m.group(3));
                assertEquals(Math.min(CAP_MS, INITIAL_MS << (deaths - 1)), delay, line.text());
                seen.add(deaths + ":" + delay);
            }
            System.out.println("CrashLoopIT: early deaths:delay ms " + seen);
            assertTrue(log.matching("Unrecognized VM option 'SentinelLuaTestNoSuchFlag'").size() >= 2,
                    "the JVM's refusal is in the log, under the worker");

            // status shows the loop, and events get the failure mode (no worker within the acquire timeout)
            StatusReport looping = supervisor.status();
            assertTrue(looping.agent().crashLoopDeaths() >= 6, "crash_loop_deaths " + looping.agent().crashLoopDeaths());
            assertEquals(CAP_MS, looping.agent().crashLoopBackoffMs());
            // no worker lives long enough to show its slot's last exit: the agent line says why they die
            assertTrue(looping.agent().crashLoopLastDeath().matches("worker-\\d+ - exited with status 1"),
                    looping.agent().crashLoopLastDeath());
            JsonNode failed = answer(proxy, "during");
            assertEquals("allow", failed.get("decision").asText(), failed.toString());
            assertEquals(List.of("lua-agent:fail-open", "lua-agent:no-worker"), PacedLoad.failureTags(failed));

            // at the cap, two slots relaunch about once per 1.6 s each, not as fast as JVMs die
            int before = log.matching(BACKOFF.pattern()).size();
            TimeUnit.SECONDS.sleep(4);
            int deathsIn4s = log.matching(BACKOFF.pattern()).size() - before;
            System.out.println("CrashLoopIT: " + deathsIn4s + " early deaths in 4 s at the cap");
            assertTrue(deathsIn4s <= 2 * (4000 / CAP_MS + 1), "deaths in 4 s: " + deathsIn4s);

            // workers start again: the pool recovers by itself and the backoff resets
            Files.writeString(flags, "-Dsentinel.lua.test=healthy\n");
            Await.until("two ready workers", WAIT, () -> supervisor.pool().snapshot().stream()
                    .filter(w -> w.state() == WorkerState.READY).count() == 2);
            assertEquals(List.of(), PacedLoad.failureTags(answer(proxy, "after")));
            Await.until("the backoff to reset", WAIT, () -> !supervisor.pool().crashLoop().looping());
            StatusReport healthy = supervisor.status();
            assertEquals(0, healthy.agent().crashLoopDeaths());
            assertEquals(0, healthy.agent().crashLoopBackoffMs());
            assertEquals(null, healthy.agent().crashLoopLastDeath());
            assertTrue(healthy.workers().stream().mapToInt(StatusReport.Worker::restarts).sum() >= 6,
                    "the slots count their unplanned replacements: " + healthy.workers());
            assertEquals(1, log.matching("no early worker death for PT3S, crash-loop backoff reset").size());
        }
    }

    private static JsonNode answer(FakeProxy proxy, String id) throws Exception {
        return proxy.request(PacedLoad.request(id)).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }
}
