package io.zentinel.sentinel.lua.supervisor.pool;

import io.zentinel.sentinel.lua.protocol.v1.ScriptInfo;
import io.zentinel.sentinel.lua.protocol.v1.ScriptProblem;
import io.zentinel.sentinel.lua.protocol.v1.WorkerReady;
import io.zentinel.sentinel.lua.supervisor.config.AgentConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fixed number of worker processes (workers.count) that all load the same scripts; events are
 * routed by capacity, to the least-loaded ready worker.
 *
 * <p>Lifecycle, after HikariCP:
 * <ul>
 * <li><b>Leasing</b>: {@link #acquire(Duration)} reserves a free Lua VM of the least-loaded ready
 *     worker and returns a {@link WorkerLease}; a worker never takes more calls than it has VMs
 *     (workers.vms-per-worker). When every VM is busy it waits in line: a VM that frees up goes
 *     to the longest waiting acquire, on the thread that freed it. After its timeout it fails
 *     fast with {@link NoWorkerException}.</li>
 * <li><b>Replacement</b>: a worker that dies unplanned is replaced at once. Deaths within
 *     {@link Tuning#earlyDeathWindow()} of launching count as a crash loop: each delays the next
 *     launch, from {@link Tuning#initialBackoff()} doubling up to {@link Tuning#maxBackoff()}; the
 *     backoff resets when a worker outlives the window or none died early for
 *     {@link Tuning#healthyPeriod()}. See {@link #crashLoop()}.</li>
 * <li><b>Retirement</b>: after workers.max-executions (less up to 2.5% jitter per worker) or
 *     workers.max-age (same jitter), the replacement is started <em>first</em>; the old worker
 *     serves until it is ready, and then retires softly, so capacity never drops.</li>
 * <li><b>Standby</b>: with workers.standby, that many more workers of the serving generation
 *     are started and kept idle. A serving worker that dies, or is due to retire, hands its slot
 *     to a ready standby at once, and a new standby starts behind it; without a ready standby
 *     the slot gets a new worker as above. A standby's max-age and the crash-loop window count
 *     from when it takes over.</li>
 * <li><b>Reload</b>: {@link #reload(ScriptSet)} starts a whole new generation and swaps only if
 *     every new worker got ready without script problems; its standbys start once it serves.</li>
 * <li><b>No script lost on a new worker</b>: a worker that gets ready without a script its
 *     generation's workers run (its top-level code ran out of time on a starved machine, say) is
 *     killed and relaunched with the crash-loop backoff, rather than serve requests without that
 *     script. A worker that runs a script the earlier ones left out is taken, and from then on
 *     every new worker must run it too.</li>
 * </ul>
 *
 * <p>Threads: launches run on virtual threads ({@code worker-launch-N}); backoff and the
 * housekeeper run on the pool's scheduler ({@code worker-pool-timer}), which workers also use
 * for their timers. Worker callbacks ({@code exit}, start futures) only update state under the
 * pool lock and never block.
 */
public final class WorkerPool implements AutoCloseable {
    /** Largest fraction by which a worker's max-executions and max-age are shortened. */
    public static final double JITTER = 0.025;

    private static final Logger LOG = LoggerFactory.getLogger(WorkerPool.class);

    /**
     * Timing of replacement and housekeeping; not configuration keys, but adjustable for tests.
     *
     * @param earlyDeathWindow     a worker dying within this time of its launch counts as a crash loop
     * @param initialBackoff       delay before relaunching after the first early death
     * @param maxBackoff           cap of the doubling delay
     * @param healthyPeriod        time without early deaths after which the backoff resets
     * @param housekeepingInterval how often ages and the crash loop are checked
     */
    public record Tuning(Duration earlyDeathWindow, Duration initialBackoff, Duration maxBackoff,
                         Duration healthyPeriod, Duration housekeepingInterval) {
        public static final Tuning DEFAULT = new Tuning(Duration.ofSeconds(10), Duration.ofMillis(100),
                Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(1));
    }

    /**
     * Crash-loop protection as it stands.
     *
     * @param earlyDeaths consecutive deaths within the early-death window
     * @param backoff     delay applied to the latest relaunch ({@code 0} when not looping)
     * @param lastDeath   how the latest of them ended, e.g. {@code worker-7 - exited with status 1}
     *                    ({@code null} when not looping): while every worker dies at start there is
     *                    no live worker whose last exit {@code status} could show
     */
    public record CrashLoop(int earlyDeaths, Duration backoff, String lastDeath) {
        public boolean looping() {
            return earlyDeaths > 0;
        }
    }

    private enum Phase { STARTING, CURRENT, RETIRED }

    private final class Generation {
        final long number;
        final ScriptSet scripts;
        final Slot[] slots;
        /** workers.standby slots, numbered after the serving ones; never leased. */
        final Slot[] standbys;
        Phase phase = Phase.STARTING;
        /** The scripts its ready workers run, the most any ran; a new one must run all of them. */
        List<ScriptInfo> scriptsServed;

        Generation(long number, ScriptSet scripts) {
            this.number = number;
            this.scripts = scripts;
            this.slots = new Slot[size];
            for (int i = 0; i < size; i++) {
                slots[i] = new Slot(this, i, false);
            }
            this.standbys = new Slot[standby];
            for (int i = 0; i < standby; i++) {
                standbys[i] = new Slot(this, size + i, true);
            }
        }

        List<Slot> everySlot() {
            List<Slot> all = new ArrayList<>(List.of(slots));
            all.addAll(List.of(standbys));
            return all;
        }
    }

    private static final class Slot {
        final Generation generation;
        final int index;
        final boolean standby;
        Member active;       // ready (or was): the one that serves, or for a standby slot the one that waits
        Member pending;      // starting: first worker or replacement
        boolean launching;   // a launch is scheduled or running, no member yet
        int restarts;
        String lastExit;

        Slot(Generation generation, int index, boolean standby) {
            this.generation = generation;
            this.index = index;
            this.standby = standby;
        }

        boolean busy() {
            return pending != null || launching;
        }
    }

    private static final class Member {
        final WorkerChannel channel;
        Slot slot;           // guarded by lock; a standby moves to the slot it takes over
        final long retireAfterExecutions;
        final long maxAgeNanos;
        /** Launch, or for a standby the time it took over a slot: max-age and early deaths count from here. */
        volatile long servingSinceNanos = System.nanoTime();
        boolean retiredByPool;
        boolean exited;

        Member(WorkerChannel channel, Slot slot, long retireAfterExecutions, long maxAgeNanos) {
            this.channel = channel;
            this.slot = slot;
            this.retireAfterExecutions = retireAfterExecutions;
            this.maxAgeNanos = maxAgeNanos;
        }

        String name() {
            return "worker-" + channel.id();
        }
    }

    private final AgentConfig config;
    private final WorkerFactory factory;
    private final Tuning tuning;
    private final RandomGenerator random;
    private final int size;
    private final int standby;
    private final long maxExecutions;
    private final Duration maxAge;
    private final Duration startWait;
    private final Duration stopWait;
    private final ScheduledThreadPoolExecutor timer;
    private final ExecutorService launches;
    private final AtomicInteger workerIds = new AtomicInteger();
    private final AtomicInteger rotation = new AtomicInteger();
    private final ReentrantLock reloadLock = new ReentrantLock();
    private final ReentrantLock lock = new ReentrantLock();
    /** Acquires waiting for a free VM, longest waiting first. Guarded by lock. */
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    /** Asynchronous acquires served or failed, to be completed once the lock is released. Guarded by lock. */
    private final List<Waiter> handoffs = new ArrayList<>();
    /** Workers replaced by a standby, to be retired once the lock is released. Guarded by lock. */
    private final List<Retirement> retirements = new ArrayList<>();

    // guarded by lock
    private Generation current;
    private long generations;
    private final Set<Member> live = new LinkedHashSet<>();
    private boolean closed;
    private final RestartBackoff backoff;
    private ScheduledFuture<?> housekeeper;
    /** The {@code WorkerReady} of the serving generation; written under lock with {@link #current}. */
    private volatile WorkerReady currentReady;

    /** A pool of workers made by {@code factory}, with the default {@link Tuning}. */
    public WorkerPool(AgentConfig config, WorkerFactory factory) {
        this(config, factory, Tuning.DEFAULT, new Random());
    }

    /** A pool of workers made by {@code factory}, with the replacement timing given. */
    public WorkerPool(AgentConfig config, WorkerFactory factory, Tuning tuning) {
        this(config, factory, tuning, new Random());
    }

    WorkerPool(AgentConfig config, WorkerFactory factory, Tuning tuning, RandomGenerator random) {
        this.config = Objects.requireNonNull(config, "config");
        this.factory = Objects.requireNonNull(factory, "factory");
        this.tuning = Objects.requireNonNull(tuning, "tuning");
        this.random = Objects.requireNonNull(random, "random");
        this.backoff = new RestartBackoff(tuning, System::nanoTime);
        this.size = config.workers().count();
        this.standby = config.workers().standby();
        this.maxExecutions = config.workers().maxExecutions();
        this.maxAge = config.workers().maxAge();
        Duration killGrace = config.workers().killGrace();
        this.startWait = config.workers().startTimeout().plus(killGrace).plusSeconds(1);
        this.stopWait = config.limits().maxExecutionTime().plus(killGrace.multipliedBy(3)).plusSeconds(1);
        this.timer = new ScheduledThreadPoolExecutor(1,
                Thread.ofPlatform().daemon().name("worker-pool-timer").factory());
        this.timer.setRemoveOnCancelPolicy(true);
        this.launches = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("worker-launch-", 0).factory());
    }

    /** A pool of real worker processes started by a {@link WorkerLauncher}. */
    public static WorkerPool launching(AgentConfig config, WorkerRuntime runtime) {
        return new WorkerPool(config, new WorkerLauncher(runtime, config).handles());
    }

    // ------------------------------------------------------------------ start / reload

    /**
     * Starts workers.count workers in parallel on {@code scripts} and waits until each is ready
     * or has failed. Workers that failed are relaunched with the crash-loop backoff.
     *
     * @return the {@code WorkerReady} of the first ready worker: its scripts and script problems
     * @throws PoolStartException when no worker got ready, naming each worker's reason
     */
    public WorkerReady start(ScriptSet scripts) throws PoolStartException {
        Generation generation;
        lock.lock();
        try {
            if (closed || current != null || generations > 0) {
                throw new IllegalStateException("worker pool can be started once");
            }
            generation = new Generation(++generations, scripts);
        } finally {
            unlockAndHandOff();
        }
        LOG.info("pool - starting {} workers on {} scripts", size, scripts.sources().size());
        List<Started> started = startAll(generation);
        List<String> failures = failures(started);
        WorkerReady first = started.stream().map(Started::ready).filter(Objects::nonNull).findFirst().orElse(null);
        List<Member> stopped = List.of();
        boolean serving = false;
        lock.lock();
        try {
            if (first == null || closed) {
                stopped = retireGeneration(generation);
            } else {
                serving = true;
                generation.phase = Phase.CURRENT;
                current = generation;
                currentReady = first;
                for (Slot slot : generation.slots) {
                    if (slot.active == null && !slot.busy()) {
                        slot.restarts++;
                        scheduleLaunch(slot, backoff.onDeath(0, slot.lastExit));
                    }
                }
                launchStandbys(generation);
                long interval = tuning.housekeepingInterval().toNanos();
                housekeeper = timer.scheduleAtFixedRate(this::housekeep, interval, interval, TimeUnit.NANOSECONDS);
                serveWaiters();
            }
        } finally {
            unlockAndHandOff();
        }
        if (!serving) {
            stopped.forEach(m -> m.channel.retire("pool start failed"));
            String reasons = String.join("; ", failures);
            throw new PoolStartException("no worker became ready (" + failures.size() + " of " + size
                    + " failed): " + (reasons.isEmpty() ? "pool closed while starting" : reasons));
        }
        if (!failures.isEmpty()) {
            LOG.warn("pool - started with {} of {} workers ready: {}", size - failures.size(), size,
                    String.join("; ", failures));
        } else {
            LOG.info("pool - {} workers ready", size);
        }
        return first;
    }

    /**
     * Starts a new generation of workers on {@code scripts}. When every one got ready without
     * script problems, it replaces the current generation, which retires softly; otherwise the
     * new workers are stopped and the current generation keeps serving. One reload at a time.
     */
    public ReloadResult reload(ScriptSet scripts) {
        reloadLock.lock();
        try {
            Generation generation;
            lock.lock();
            try {
                if (closed || current == null) {
                    throw new IllegalStateException("worker pool is " + (closed ? "closed" : "not started"));
                }
                generation = new Generation(++generations, scripts);
            } finally {
                unlockAndHandOff();
            }
            LOG.info("pool - reload: starting generation {} on {} scripts", generation.number,
                    scripts.sources().size());
            List<Started> started = startAll(generation);
            List<String> failures = failures(started);
            List<ScriptInfo> infos = List.of();
            List<ScriptProblem> problems = new ArrayList<>();
            for (Started s : started) {
                if (s.ready() != null) {
                    if (infos.isEmpty()) {
                        infos = s.ready().getScriptsList();
                    }
                    for (ScriptProblem problem : s.ready().getProblemsList()) {
                        if (!problems.contains(problem)) {
                            problems.add(problem);
                        }
                    }
                }
            }
            boolean accepted = failures.isEmpty() && problems.isEmpty();
            Generation old = null;
            List<Member> stopped;
            lock.lock();
            try {
                if (!accepted || closed) {
                    accepted = false;
                    stopped = retireGeneration(generation);
                } else {
                    old = current;
                    generation.phase = Phase.CURRENT;
                    current = generation;
                    currentReady = started.stream().map(Started::ready).filter(Objects::nonNull)
                            .findFirst().orElseThrow();
                    for (Slot slot : generation.slots) {
                        if (slot.active == null && !slot.busy()) {
                            scheduleLaunch(slot, Duration.ZERO);
                        }
                    }
                    launchStandbys(generation);
                    stopped = retireGeneration(old);
                    serveWaiters();
                }
            } finally {
                unlockAndHandOff();
            }
            String why = accepted ? "replaced by generation " + generation.number : "reload rejected";
            stopped.forEach(m -> m.channel.retire(why));
            ReloadResult result = new ReloadResult(accepted, infos, problems, failures);
            if (result.accepted()) {
                LOG.info("pool - generation {} serves, generation {} retires: {}", generation.number, old.number,
                        result.summary());
            } else {
                LOG.warn("pool - generation {} {}", generation.number, result.summary());
            }
            return result;
        } finally {
            reloadLock.unlock();
        }
    }

    private record Started(int slot, WorkerReady ready, String failure) {
    }

    private List<Started> startAll(Generation generation) {
        List<CompletableFuture<WorkerReady>> futures = new ArrayList<>();
        lock.lock();
        try {
            for (Slot slot : generation.slots) {
                slot.launching = true;
            }
        } finally {
            unlockAndHandOff();
        }
        for (Slot slot : generation.slots) {
            CompletableFuture<WorkerReady> future = new CompletableFuture<>();
            int id = workerIds.incrementAndGet();
            launches.execute(() -> launchNow(slot, id, future));
            futures.add(future.orTimeout(startWait.toNanos(), TimeUnit.NANOSECONDS));
        }
        List<Started> started = new ArrayList<>();
        for (int i = 0; i < futures.size(); i++) {
            try {
                started.add(new Started(i, futures.get(i).get(), null));
            } catch (ExecutionException e) {
                Throwable cause = e.getCause() instanceof CompletionException c ? c.getCause() : e.getCause();
                String reason = cause instanceof TimeoutException
                        ? "worker in slot " + i + " - no answer within " + startWait
                        : cause.getMessage();
                started.add(new Started(i, null, reason));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                started.add(new Started(i, null, "worker in slot " + i + " - interrupted while starting"));
            }
        }
        return started;
    }

    private static List<String> failures(List<Started> started) {
        return started.stream().map(Started::failure).filter(Objects::nonNull).toList();
    }

    /**
     * Under lock: the generation stops serving. Returns its workers, marked as retired by the
     * pool; the caller retires them after releasing the lock (a channel may report its exit on
     * the calling thread).
     */
    private List<Member> retireGeneration(Generation generation) {
        generation.phase = Phase.RETIRED;
        List<Member> members = new ArrayList<>();
        for (Slot slot : generation.everySlot()) {
            for (Member member : new Member[] {slot.active, slot.pending}) {
                if (member != null && !member.exited && !member.retiredByPool) {
                    member.retiredByPool = true;
                    members.add(member);
                }
            }
        }
        return members;
    }

    // ------------------------------------------------------------------ launching

    /** Under lock: the standbys of a generation that has just begun to serve. */
    private void launchStandbys(Generation generation) {
        for (Slot spare : generation.standbys) {
            scheduleLaunch(spare, Duration.ZERO);
        }
    }

    /** Under lock: launch a worker into {@code slot} after {@code delay}. */
    private void scheduleLaunch(Slot slot, Duration delay) {
        slot.launching = true;
        if (delay.isZero()) {
            launches.execute(() -> launchNow(slot, workerIds.incrementAndGet(), new CompletableFuture<>()));
        } else {
            timer.schedule(() -> launches.execute(
                            () -> launchNow(slot, workerIds.incrementAndGet(), new CompletableFuture<>())),
                    delay.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    /** On a launch virtual thread: creates the worker, registers it and sends its init frame. */
    private void launchNow(Slot slot, int id, CompletableFuture<WorkerReady> started) {
        lock.lock();
        try {
            if (closed || slot.generation.phase == Phase.RETIRED) {
                slot.launching = false;
                started.completeExceptionally(new WorkerGoneException(FailureCause.WORKER_KILLED,
                        "worker-" + id + " - not launched: pool closed or generation retired"));
                return;
            }
        } finally {
            unlockAndHandOff();
        }
        WorkerChannel channel;
        try {
            channel = factory.create(id, timer);
        } catch (IOException | RuntimeException e) {
            launchFailed(slot, id, e, started);
            return;
        }
        Member member;
        boolean abandoned;
        lock.lock();
        try {
            slot.launching = false;
            member = new Member(channel, slot, jitter(maxExecutions), maxAge.isZero() ? 0 : jitter(maxAge.toNanos()));
            abandoned = closed || slot.generation.phase == Phase.RETIRED;
            if (abandoned) {
                member.retiredByPool = true;
            } else {
                slot.pending = member;
                live.add(member);
            }
        } finally {
            unlockAndHandOff();
        }
        if (abandoned) {
            channel.kill("launched after the pool closed or its generation retired");
            started.completeExceptionally(new WorkerGoneException(FailureCause.WORKER_KILLED,
                    member.name() + " - not started: pool closed or generation retired"));
            return;
        }
        channel.exit().thenAccept(status -> onExit(member, status));
        CompletableFuture<WorkerReady> ready;
        try {
            ready = channel.start(slot.generation.scripts.toInit(id, config));
        } catch (RuntimeException e) {
            LOG.error("{} - start failed", member.name(), e);
            ready = CompletableFuture.failedFuture(
                    new WorkerGoneException(FailureCause.INTERNAL_ERROR, member.name() + " - start failed: " + e));
        }
        ready.whenComplete((readyMessage, failure) -> {
            Throwable error = failure instanceof CompletionException c && c.getCause() != null ? c.getCause() : failure;
            String leftOut = error == null ? onReady(member, readyMessage) : null;
            if (leftOut != null) {
                String reason = "it left out scripts its generation runs: " + leftOut;
                member.channel.kill(reason);
                error = new WorkerGoneException(FailureCause.WORKER_KILLED, member.name() + " - " + reason);
            }
            if (error == null) {
                started.complete(readyMessage);
            } else {
                if (member.channel.state() != WorkerState.DEAD) {
                    member.channel.kill("did not start: " + error.getMessage());
                }
                started.completeExceptionally(error);
            }
        });
    }

    private void launchFailed(Slot slot, int id, Exception e, CompletableFuture<WorkerReady> started) {
        String reason = "worker-" + id + " - launch failed: " + e.getMessage();
        lock.lock();
        try {
            slot.launching = false;
            slot.lastExit = reason;
            if (!closed && slot.generation.phase == Phase.CURRENT) {
                slot.restarts++;
                Duration delay = backoff.onDeath(0, reason);
                LOG.error("{}, retrying in {} ms", reason, delay.toMillis());
                scheduleLaunch(slot, delay);
            }
        } finally {
            unlockAndHandOff();
        }
        started.completeExceptionally(new WorkerGoneException(FailureCause.WORKER_CRASHED, reason));
    }

    /**
     * Takes a worker that got ready into its slot.
     *
     * @return {@code null}, or the scripts the worker left out that its generation runs: it is
     *         then not taken, and the caller kills it
     */
    private String onReady(Member member, WorkerReady ready) {
        Member replaced = null;
        boolean stale;
        lock.lock();
        try {
            Slot slot = member.slot;
            stale = closed || slot.generation.phase == Phase.RETIRED || member.exited || member.retiredByPool;
            if (!stale) {
                Generation generation = slot.generation;
                if (generation.scriptsServed != null) {
                    String leftOut = ScriptDifference.leftOut(generation.scriptsServed, ready);
                    if (leftOut != null) {
                        return leftOut;
                    }
                }
                generation.scriptsServed = ready.getScriptsList(); // all the earlier ones ran, maybe more
                if (slot.pending == member) {
                    slot.pending = null;
                }
                replaced = slot.active;
                slot.active = member;
                if (replaced != null) {
                    replaced.retiredByPool = true;
                }
                serveWaiters();
            } else if (!member.exited) {
                member.retiredByPool = true;
            }
        } finally {
            unlockAndHandOff();
        }
        if (stale && !member.exited) {
            member.channel.retire("ready after the pool closed or its generation retired");
        }
        if (replaced != null) {
            replaced.channel.retire("replaced by " + member.name());
        }
        return null;
    }

    private void onExit(Member member, WorkerExitStatus status) {
        lock.lock();
        try {
            member.exited = true;
            live.remove(member);
            Slot slot = member.slot;
            slot.lastExit = member.name() + " - " + status.describe();
            boolean wasActive = slot.active == member;
            boolean wasPending = slot.pending == member;
            if (wasActive) {
                slot.active = null;
            }
            if (wasPending) {
                slot.pending = null;
            }
            serveWaiters();
            if (member.retiredByPool || closed || slot.generation.phase != Phase.CURRENT
                    || !(wasActive || wasPending)) {
                return;
            }
            slot.restarts++;
            Duration delay = backoff.onDeath(System.nanoTime() - member.servingSinceNanos, slot.lastExit);
            if (slot.busy()) {
                LOG.warn("{} - {}; its replacement is already starting", member.name(), status.describe());
                return;
            }
            Member standby = wasActive ? takeStandby(slot, delay) : null;
            if (standby != null) {
                LOG.warn("{} - {}; standby {} takes over", member.name(), status.describe(), standby.name());
                return;
            }
            if (delay.isZero()) {
                LOG.warn("{} - {}; replacing it", member.name(), status.describe());
            } else {
                LOG.warn("{} - {}; replacing it in {} ms (crash loop: {} early deaths in a row)", member.name(),
                        status.describe(), delay.toMillis(), backoff.status().earlyDeaths());
            }
            scheduleLaunch(slot, delay);
        } finally {
            unlockAndHandOff();
        }
    }

    private long jitter(long max) {
        long cut = (long) Math.floor(random.nextDouble() * JITTER * max);
        return Math.max(1, max - cut);
    }

    // ------------------------------------------------------------------ leasing

    /**
     * Leases a free Lua VM of the least-loaded ready worker, waiting up to {@code timeout} while
     * no worker is ready or every VM is busy. Waiting acquires are served first come, first
     * served: a VM freed by a lease is handed straight to the longest waiting one.
     *
     * @throws NoWorkerException when the pool is closed; when no worker got ready in time (cause
     *                           {@code no-worker}); or when workers were ready but no VM became
     *                           free in time (cause {@code overloaded}, "no free Lua VM")
     */
    public WorkerLease acquire(Duration timeout) throws NoWorkerException {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            if (closed) {
                throw new NoWorkerException("worker pool is closed");
            }
            if (waiters.isEmpty() && current != null) {
                Member member = reserveLeastLoaded(current);
                if (member != null) {
                    return lease(member);
                }
            }
            Waiter waiter = new Waiter(lock.newCondition(), null);
            waiters.addLast(waiter);
            try {
                serveWaiters();
                while (waiter.member == null) {
                    if (closed) {
                        throw new NoWorkerException("worker pool is closed");
                    }
                    long remaining = deadline - System.nanoTime();
                    if (remaining <= 0) {
                        throw noWorker(timeout);
                    }
                    waiter.served.awaitNanos(remaining);
                }
                return lease(waiter.member);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (waiter.member != null) {
                    return lease(waiter.member); // served meanwhile: the caller sees the interrupt later
                }
                throw new NoWorkerException("interrupted while waiting for a worker");
            } finally {
                if (waiter.member == null) {
                    waiters.remove(waiter);
                }
            }
        } finally {
            unlockAndHandOff();
        }
    }

    /**
     * {@link #acquire} without blocking: the future completes with the lease, at once when a VM
     * is free, else on the thread that frees one (usually a worker's reader, which then sends the
     * waiting call itself), or with a {@link NoWorkerException} after {@code timeout} or when the
     * pool closes. Waiting acquires of both kinds are served first come, first served.
     */
    public CompletableFuture<WorkerLease> acquireAsync(Duration timeout) {
        lock.lock();
        try {
            if (closed) {
                return CompletableFuture.failedFuture(new NoWorkerException("worker pool is closed"));
            }
            if (waiters.isEmpty() && current != null) {
                Member member = reserveLeastLoaded(current);
                if (member != null) {
                    return CompletableFuture.completedFuture(lease(member));
                }
            }
            Waiter waiter = new Waiter(null, new CompletableFuture<>());
            waiters.addLast(waiter);
            scheduleExpiry(waiter, timeout, timeout.toNanos());
            serveWaiters();
            return waiter.async;
        } finally {
            unlockAndHandOff();
        }
    }

    /** Under lock: {@link #expire} the waiter {@code delayNanos} from now. */
    private void scheduleExpiry(Waiter waiter, Duration timeout, long delayNanos) {
        long due = System.nanoTime() + delayNanos;
        waiter.timeout = timer.schedule(() -> expire(waiter, timeout, due), delayNanos, TimeUnit.NANOSECONDS);
    }

    /**
     * Timer task: an asynchronous acquire was not served within its timeout. When the task ran
     * past {@code dueNanos} because the supervisor stood still, the waiter gets that time back: a
     * worker's reader freeing VMs stood still too.
     */
    private void expire(Waiter waiter, Duration timeout, long dueNanos) {
        long stalled = WatchClock.stall(System.nanoTime() - dueNanos);
        lock.lock();
        try {
            if (stalled > 0 && !closed && waiters.contains(waiter)) { // still waiting: not served, not expired
                scheduleExpiry(waiter, timeout, stalled);
                return;
            }
            if (waiters.remove(waiter)) {
                waiter.failure = closed ? new NoWorkerException("worker pool is closed") : noWorker(timeout);
                handoffs.add(waiter);
            }
        } finally {
            unlockAndHandOff();
        }
    }

    /**
     * Releases the lock, then completes the asynchronous acquires served meanwhile: their
     * continuations write to a worker's pipe, which must never happen under the pool's lock.
     */
    private void unlockAndHandOff() {
        List<Waiter> served = null;
        List<Retirement> retiring = null;
        if (lock.getHoldCount() == 1) {
            if (!handoffs.isEmpty()) {
                served = new ArrayList<>(handoffs);
                handoffs.clear();
            }
            if (!retirements.isEmpty()) {
                retiring = new ArrayList<>(retirements);
                retirements.clear();
            }
        }
        lock.unlock();
        if (retiring != null) {
            retiring.forEach(r -> r.member().channel.retire(r.reason()));
        }
        if (served != null) {
            for (Waiter waiter : served) {
                if (waiter.failure != null) {
                    waiter.async.completeExceptionally(waiter.failure);
                } else {
                    waiter.async.complete(lease(waiter.member));
                }
            }
        }
    }

    /**
     * An acquire waiting for a free VM: a blocking one ({@code served}) or an asynchronous one
     * ({@code async}, completed after the lock is released). {@code member} is set when it was
     * served, {@code failure} when an asynchronous one failed. Guarded by lock.
     */
    private static final class Waiter {
        final Condition served;
        final CompletableFuture<WorkerLease> async;
        Member member;
        NoWorkerException failure;
        ScheduledFuture<?> timeout;

        Waiter(Condition served, CompletableFuture<WorkerLease> async) {
            this.served = served;
            this.async = async;
        }
    }

    /** Under lock: the caller holds a reservation on {@code member}. */
    private WorkerLease lease(Member member) {
        return new WorkerLease(member.channel, channel -> released(member));
    }

    /**
     * Under lock: hands free VMs to waiting acquires, longest waiting first; wakes them all when
     * the pool is closed. Called whenever a VM may have become free or the workers changed.
     */
    private void serveWaiters() {
        if (closed) {
            for (Waiter waiter : waiters) {
                if (waiter.async == null) {
                    waiter.served.signal();
                }
            }
            waiters.removeIf(waiter -> {
                if (waiter.async == null) {
                    return false;
                }
                waiter.timeout.cancel(false);
                waiter.failure = new NoWorkerException("worker pool is closed");
                handoffs.add(waiter);
                return true;
            });
            return;
        }
        while (!waiters.isEmpty() && current != null) {
            Member member = reserveLeastLoaded(current);
            if (member == null) {
                return;
            }
            Waiter waiter = waiters.pollFirst();
            waiter.member = member;
            if (waiter.async == null) {
                waiter.served.signal();
            } else {
                waiter.timeout.cancel(false);
                handoffs.add(waiter);
            }
        }
    }

    /**
     * Under lock; runs per event, so it allocates nothing. One scan for the ready worker with the
     * fewest calls among those with a free VM; ties go round-robin (the scan starts one slot
     * further each time), so idle workers share the load.
     */
    private Member reserveLeastLoaded(Generation generation) {
        Slot[] slots = generation.slots;
        int n = slots.length;
        int offset = Math.floorMod(rotation.getAndIncrement(), n);
        Member best = null;
        int bestLoad = Integer.MAX_VALUE;
        for (int i = 0; i < n; i++) {
            Member member = slots[(offset + i) % n].active;
            if (serving(member)) {
                int load = member.channel.inFlight();
                if (load < member.channel.capacity() && load < bestLoad) {
                    best = member;
                    bestLoad = load;
                }
            }
        }
        if (best == null || best.channel.tryReserve()) {
            return best;
        }
        // lost a race with a kill or a retirement of that worker: any other free VM will do
        for (int i = 0; i < n; i++) {
            Member member = slots[(offset + i) % n].active;
            if (member != best && serving(member) && member.channel.tryReserve()) {
                return member;
            }
        }
        return null;
    }

    /** Under lock: the member serves calls of its generation. */
    private static boolean serving(Member member) {
        return member != null && !member.retiredByPool && member.channel.state() == WorkerState.READY;
    }

    /** Under lock: why {@link #acquire} found nothing within {@code timeout}. */
    private NoWorkerException noWorker(Duration timeout) {
        int ready = 0;
        int busy = 0;
        int vms = 0;
        for (Slot slot : current == null ? new Slot[0] : current.slots) {
            if (serving(slot.active)) {
                ready++;
                busy += slot.active.channel.inFlight();
                vms += slot.active.channel.capacity();
            }
        }
        if (ready == 0) {
            return new NoWorkerException(noWorkerMessage(timeout));
        }
        return new NoWorkerException(FailureCause.OVERLOADED, "no free Lua VM within " + timeout + " ("
                + busy + " of " + vms + " busy on " + ready + " ready workers, workers.vms-per-worker "
                + config.workers().vmsPerWorker() + ")");
    }

    private String noWorkerMessage(Duration timeout) {
        int starting = 0;
        String lastExit = null;
        for (Slot slot : current == null ? new Slot[0] : current.slots) {
            if (slot.busy()) {
                starting++;
            }
            if (slot.lastExit != null) {
                lastExit = slot.lastExit;
            }
        }
        StringBuilder text = new StringBuilder("no worker ready within ").append(timeout)
                .append(" (workers.count ").append(size).append(", ").append(starting).append(" starting");
        if (backoff.status().looping()) {
            text.append(", crash-loop backoff ").append(backoff.current().toMillis()).append(" ms");
        }
        if (lastExit != null) {
            text.append(", last exit: ").append(lastExit);
        }
        return text.append(')').toString();
    }

    /**
     * A lease's call completed or the lease was closed: its VM goes to the longest waiting
     * acquire, if any. Runs on the thread that completed the call (for a real worker, its stdout
     * reader) or closed the lease; takes the pool lock briefly and never blocks otherwise.
     */
    private void released(Member member) {
        String due = dueReason(member);
        lock.lock();
        try {
            member.channel.release();
            serveWaiters();
            if (due != null) {
                replaceIfDue(member, due);
            }
        } finally {
            unlockAndHandOff();
        }
    }

    private String dueReason(Member member) {
        long executions = member.channel.executions();
        if (executions >= member.retireAfterExecutions) {
            return "reached " + executions + " executions (workers.max-executions " + maxExecutions
                    + ", " + member.retireAfterExecutions + " after jitter)";
        }
        if (member.maxAgeNanos > 0 && System.nanoTime() - member.servingSinceNanos >= member.maxAgeNanos) {
            return "reached its maximum age (workers.max-age " + maxAge + ", "
                    + Duration.ofNanos(member.maxAgeNanos) + " after jitter)";
        }
        return null;
    }

    /** Under lock: starts the replacement of a serving worker that is due; it retires once that is ready. */
    private void replaceIfDue(Member member, String reason) {
        Slot slot = member.slot;
        if (closed || member.exited || member.retiredByPool || slot.active != member || slot.busy()
                || slot.generation.phase != Phase.CURRENT) {
            return;
        }
        Member standby = takeStandby(slot, Duration.ZERO);
        if (standby != null) {
            LOG.info("{} - {}, standby {} takes over", member.name(), reason, standby.name());
            member.retiredByPool = true;
            retirements.add(new Retirement(member, "replaced by standby " + standby.name()));
            return;
        }
        LOG.info("{} - {}, starting its replacement", member.name(), reason);
        scheduleLaunch(slot, Duration.ZERO);
    }

    /**
     * Under lock, for a serving slot of the current generation: moves a ready standby of that
     * generation into {@code slot}, as its serving worker, and launches the next standby after {@code delay} (the crash-loop backoff
     * when the slot's worker died). Returns the standby, or {@code null} when none is ready. The
     * caller retires the slot's previous worker, if it still lives.
     */
    private Member takeStandby(Slot slot, Duration delay) {
        if (slot.standby) {
            return null; // a standby that died is relaunched into its own slot
        }
        for (Slot spare : slot.generation.standbys) {
            Member standby = spare.active;
            if (serving(standby)) {
                spare.active = null;
                standby.slot = slot;
                standby.servingSinceNanos = System.nanoTime();
                slot.active = standby;
                if (!spare.busy()) {
                    scheduleLaunch(spare, delay);
                }
                serveWaiters();
                return standby;
            }
        }
        return null;
    }

    /** A worker to retire softly once the pool's lock is released. */
    private record Retirement(Member member, String reason) {
    }

    /** Scheduler task: age-based retirement, crash-loop reset, and empty slots (never expected). */
    private void housekeep() {
        lock.lock();
        try {
            if (closed || current == null) {
                return;
            }
            boolean anyReady = false;
            for (Slot slot : current.slots) {
                Member member = slot.active;
                if (member != null && !member.exited) {
                    anyReady |= member.channel.state() == WorkerState.READY;
                    String due = dueReason(member);
                    if (due != null) {
                        replaceIfDue(member, due);
                    }
                } else if (!slot.busy()) {
                    LOG.warn("pool - slot {} had no worker, launching one", slot.index);
                    scheduleLaunch(slot, backoff.current());
                }
            }
            for (Slot spare : current.standbys) {
                if (spare.active == null && !spare.busy()) {
                    LOG.warn("pool - standby slot {} had no worker, launching one", spare.index);
                    scheduleLaunch(spare, backoff.current());
                }
            }
            if (anyReady) {
                backoff.resetIfHealthy();
            }
        } finally {
            unlockAndHandOff();
        }
    }

    // ------------------------------------------------------------------ status

    /** Every live worker (serving, starting and retiring ones), by id. */
    public List<WorkerStatus> snapshot() {
        lock.lock();
        try {
            return live.stream()
                    .sorted(Comparator.comparingInt(m -> m.channel.id()))
                    .map(m -> new WorkerStatus(m.channel.id(), m.channel.pid(), m.channel.state(),
                            m.channel.executions(), m.channel.inFlight(), m.channel.startedAt(),
                            m.slot.generation.number, m.slot.index, m.slot.standby, m.slot.restarts,
                            m.slot.lastExit, m.retireAfterExecutions))
                    .toList();
        } finally {
            unlockAndHandOff();
        }
    }

    public CrashLoop crashLoop() {
        lock.lock();
        try {
            return backoff.status();
        } finally {
            unlockAndHandOff();
        }
    }

    /**
     * The {@code WorkerReady} of a worker of the serving generation (every worker of a generation
     * loads the same scripts): the scripts, with their hooks, that events are run through.
     * {@code null} before start. Lock-free; meant to be read per event.
     */
    public WorkerReady currentReady() {
        return currentReady;
    }

    /** Number of the generation that serves (1 after start, higher after accepted reloads; 0 before start). */
    public long generation() {
        lock.lock();
        try {
            return current == null ? 0 : current.number;
        } finally {
            unlockAndHandOff();
        }
    }

    /**
     * Kills one worker, e.g. on a resource breach reported by the watcher; it is replaced as
     * after a crash. Returns {@code false} when no live worker has that id.
     */
    public boolean kill(int workerId, String reason) {
        Member target = null;
        lock.lock();
        try {
            for (Member member : live) {
                if (member.channel.id() == workerId) {
                    target = member;
                }
            }
        } finally {
            unlockAndHandOff();
        }
        if (target == null) {
            return false;
        }
        target.channel.kill(reason);
        return true;
    }

    // ------------------------------------------------------------------ close

    /**
     * Retires every worker, waits for them to exit (their calls end by their deadline at the
     * latest), force-kills any still alive, and stops the pool's threads. Idempotent.
     */
    @Override
    public void close() {
        List<Member> members;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            if (housekeeper != null) {
                housekeeper.cancel(false);
            }
            members = new ArrayList<>(live);
            members.forEach(m -> m.retiredByPool = true);
            serveWaiters();
        } finally {
            unlockAndHandOff();
        }
        LOG.info("pool - closing, retiring {} workers", members.size());
        members.forEach(m -> m.channel.retire("pool closing"));
        if (!awaitExits(members, stopWait)) {
            for (Member m : members) {
                if (!m.channel.exit().isDone()) {
                    m.channel.kill("still alive " + stopWait + " after the pool closed");
                }
            }
            if (!awaitExits(members, config.workers().killGrace().plusSeconds(1))) {
                LOG.error("pool - workers still alive after SIGKILL: {}",
                        members.stream().filter(m -> !m.channel.exit().isDone()).map(Member::name).toList());
            }
        }
        timer.shutdownNow();
        launches.shutdown();
        LOG.info("pool - closed");
    }

    private static boolean awaitExits(List<Member> members, Duration wait) {
        CompletableFuture<?> all = CompletableFuture.allOf(
                members.stream().map(m -> m.channel.exit()).toArray(CompletableFuture[]::new));
        try {
            all.get(wait.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException | ExecutionException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
