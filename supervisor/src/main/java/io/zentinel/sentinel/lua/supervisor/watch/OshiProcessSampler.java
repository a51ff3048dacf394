package io.zentinel.sentinel.lua.supervisor.watch;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import oshi.SystemInfo;
import oshi.software.os.OSProcess;
import oshi.software.os.OperatingSystem;

/**
 * {@link ProcessSampler} over oshi-core.
 *
 * <p>oshi is initialised lazily, on the first {@link #sample} (about a second), so an agent that is
 * never asked for its status never pays for it. If it cannot be initialised (no JNA for the
 * platform, a restricted runtime), a warning is logged once and every later sample is empty.
 *
 * <p>CPU is measured between two readings of the same process: the previous sample's reading
 * when it is at most {@link #MAX_BASELINE_AGE} old, else a fresh reading taken {@code window}
 * before the answer. So the first {@code status} waits one window (250 ms by default) and shows
 * the current load, not an average over the process's life. Thread-safe; one sample at a time.
 */
public final class OshiProcessSampler implements ProcessSampler {
    public static final Duration DEFAULT_WINDOW = Duration.ofMillis(250);
    /** A previous reading older than this is not used as the CPU baseline. */
    public static final Duration MAX_BASELINE_AGE = Duration.ofSeconds(30);

    private static final Logger LOG = LoggerFactory.getLogger(OshiProcessSampler.class);

    private record Reading(OSProcess process, long nanos) {
    }

    private final Duration window;
    private final ReentrantLock lock = new ReentrantLock();
    // guarded by lock
    private OperatingSystem os;
    private boolean unavailable;
    private Map<Long, Reading> previous = new HashMap<>();

    public OshiProcessSampler() {
        this(DEFAULT_WINDOW);
    }

    public OshiProcessSampler(Duration window) {
        if (window.isNegative()) {
            throw new IllegalArgumentException("window must not be negative (was " + window + ")");
        }
        this.window = window;
    }

    @Override
    public Map<Long, ProcessSample> sample(Collection<Long> pids) {
        lock.lock();
        try {
            OperatingSystem system = operatingSystem();
            if (system == null || pids.isEmpty()) {
                return Map.of();
            }
            Set<Long> wanted = new LinkedHashSet<>(pids);
            Map<Long, OSProcess> baselines = new HashMap<>();
            boolean fresh = false;
            long now = System.nanoTime();
            for (long pid : wanted) {
                Reading before = previous.get(pid);
                if (before != null && now - before.nanos() <= MAX_BASELINE_AGE.toNanos()) {
                    baselines.put(pid, before.process());
                } else {
                    OSProcess process = read(system, pid);
                    if (process != null) {
                        baselines.put(pid, process);
                        fresh = true;
                    }
                }
            }
            if (fresh && !window.isZero()) {
                Thread.sleep(window);
            }
            Map<Long, ProcessSample> samples = new HashMap<>();
            Map<Long, Reading> readings = new HashMap<>();
            long taken = System.nanoTime();
            for (long pid : wanted) {
                OSProcess process = read(system, pid);
                if (process == null) {
                    continue;
                }
                OSProcess baseline = baselines.get(pid);
                double load = baseline == null
                        ? process.getProcessCpuLoadCumulative()
                        : process.getProcessCpuLoadBetweenTicks(baseline);
                samples.put(pid, new ProcessSample(pid, process.getResidentMemory(), Math.max(0, load * 100)));
                readings.put(pid, new Reading(process, taken));
            }
            previous = readings;
            return samples;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Map.of();
        } finally {
            lock.unlock();
        }
    }

    /** Under lock: oshi's operating system view, created on first use; {@code null} when unavailable. */
    private OperatingSystem operatingSystem() {
        if (os == null && !unavailable) {
            long start = System.nanoTime();
            try {
                os = new SystemInfo().getOperatingSystem();
                LOG.debug("process sampler - oshi ready in {} ms", (System.nanoTime() - start) / 1_000_000);
            } catch (RuntimeException | LinkageError e) {
                unavailable = true;
                LOG.warn("process sampler - oshi unavailable, status shows no RSS or CPU: {}", e.toString());
            }
        }
        return os;
    }

    private static OSProcess read(OperatingSystem system, long pid) {
        if (pid <= 0 || pid > Integer.MAX_VALUE) {
            return null;
        }
        try {
            return system.getProcess((int) pid);
        } catch (RuntimeException e) {
            LOG.debug("process sampler - pid {} not readable: {}", pid, e.toString());
            return null;
        }
    }
}
