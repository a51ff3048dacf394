package io.zentinel.sentinel.lua.supervisor.pool;

import com.google.protobuf.CodedOutputStream;
import io.zentinel.sentinel.lua.protocol.frame.FlushBatch;
import io.zentinel.sentinel.lua.protocol.frame.FrameLimits;
import io.zentinel.sentinel.lua.protocol.frame.FrameReader;
import io.zentinel.sentinel.lua.protocol.frame.SharedFrameWriter;
import io.zentinel.sentinel.lua.protocol.v1.Heartbeat;
import io.zentinel.sentinel.lua.protocol.v1.HookCall;
import io.zentinel.sentinel.lua.protocol.v1.HookResult;
import io.zentinel.sentinel.lua.protocol.v1.Shutdown;
import io.zentinel.sentinel.lua.protocol.v1.SupervisorMessage;
import io.zentinel.sentinel.lua.protocol.v1.WorkerInit;
import io.zentinel.sentinel.lua.protocol.v1.WorkerMessage;
import io.zentinel.sentinel.lua.protocol.v1.WorkerReady;
import io.zentinel.sentinel.lua.supervisor.cgroup.CgroupExits;
import io.zentinel.sentinel.lua.supervisor.config.AgentConfig;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * One worker process: a {@link SharedFrameWriter} on its stdin, one platform reader thread on its
 * stdout, and the timers that bound it (start timeout, per-call hard deadline, heartbeats,
 * retirement grace).
 *
 * <p>Threads: {@link #start}, {@link #call}, {@link #tryReserve}, {@link #release},
 * {@link #retire} and {@link #kill} are called by any thread and never block, except that
 * {@code start} and {@code call} write one frame to the pipe: a caller that finds another thread
 * writing to it leaves its frame to that thread ({@link SharedFrameWriter}) instead of waiting,
 * so the proxy connections' readers that share a worker do not queue behind one another's
 * system calls; only a call of half the pipe's size or more (a request body) waits for it. The
 * reader thread ({@code worker-<id>-stdout}) completes start and call futures. Timer tasks run
 * on the shared scheduler and never write to the pipe (a worker that stops reading its stdin
 * would block them); control frames (heartbeat, shutdown) are written from short-lived virtual
 * threads.
 * {@link #exit()} and the failures of pending calls complete on the thread that completes
 * {@code Process.onExit()} (for a real process, a thread of {@code ForkJoinPool.commonPool()}),
 * so their dependents must not block.
 *
 * <p>Capacity: the worker runs {@code WorkerInit.vm_count} Lua VMs; {@link #tryReserve()} grants
 * at most that many reservations and {@link #call} refuses a call beyond it, so the worker never
 * queues a call behind a busy VM. The hard deadline is armed when the call is written, which is
 * therefore when it can start executing: time spent waiting for a free VM is spent in
 * {@link WorkerPool#acquire}, not against the deadline. Deadlines are checked every
 * {@link #DEADLINE_SWEEP} while calls are pending, so a kill comes up to that much after the
 * deadline; a worker without calls has no sweep, so an idle agent does not wake every 10 ms.
 *
 * <p>An answer the supervisor has not read yet is not an overrun. Deadlines are measured on a
 * {@link WatchClock}, which leaves out the time the supervisor stood still (a sweep more than
 * {@link WatchClock#STALL} late), and an overdue call kills the worker only when the stdout reader
 * is waiting on an empty pipe; while the reader still has frames to take, the kill waits for it,
 * one more call deadline at most.
 *
 * <p>Killing: a call that overruns {@code resource-limits.max-execution-time +
 * workers.kill-grace} kills the worker with {@code destroyForcibly()}: a script stuck inside Java
 * code cannot be stopped any other way. A kill is logged (and signalled) once, however many calls
 * overran. Retiring is graceful first: {@code Shutdown} once the reservations are returned,
 * {@code destroy()} (SIGTERM) when the process has not exited a grace later,
 * {@code destroyForcibly()} a grace after that.
 *
 * <p>Kernel limits: an exit by SIGKILL that the supervisor did not send, while the worker's cgroup
 * counted an OOM kill, reads as {@code killed: }{@value CgroupExits#OOM_KILL} and fails the calls
 * in flight with {@code memory-limit}; an exit by SIGXCPU under workers.cpu-seconds reads as
 * {@code killed: used up workers.cpu-seconds (…)}. Both count as kills, not crashes.
 */
public final class WorkerHandle implements WorkerChannel {
    /**
     * What Linux's pipe holds before a write waits for the worker to read: the stdin buffer's
     * size, and twice the frame size from which a call is sent by its own thread, which waits
     * for the pipe ({@link SharedFrameWriter}).
     */
    private static final int PIPE_BYTES = 64 * 1024;
    /** Every pipe message is one frame of at most this size. */
    public static final FrameLimits PIPE_LIMITS = new FrameLimits(64 * 1024 * 1024, "worker pipe");
    /** Heartbeats a worker may leave unanswered; at the next tick it is killed. */
    public static final int MAX_MISSED_HEARTBEATS = 3;

    private final Logger log;

    private final int id;
    private final String name;
    private final Process process;
    private final Instant startedAt = Instant.now();
    private final Duration startTimeout;
    private final Duration maxExecutionTime;
    private final Duration killGrace;
    private final Duration heartbeatInterval;
    private final ScheduledExecutorService timer;
    private final SharedFrameWriter stdin;
    /** One instance, so that a {@link FlushBatch} holds it once however many calls it sends. */
    private final Runnable flushStdin = this::flushStdin;
    /** The OOM kills counted in the worker's cgroup (-1: unknown); read once, at the exit. */
    private final LongSupplier oomKills;
    private final ProcessLimits processLimits;

    private final WatchClock clock;
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    private final AtomicLong callIds = new AtomicLong();
    private final AtomicLong executions = new AtomicLong();
    private final CompletableFuture<WorkerReady> ready = new CompletableFuture<>();
    private final CompletableFuture<WorkerExitStatus> exit = new CompletableFuture<>();

    // guarded by lock
    private WorkerState state = WorkerState.STARTING;
    private int reserved;
    private boolean forceKilled;
    private boolean started;
    private boolean retireRequested;
    private boolean shutdownSent;
    private String retireReason;
    private String killReason;
    private ScheduledFuture<?> startTimer;
    private ScheduledFuture<?> heartbeatTimer;
    /** A deadline sweep is scheduled; it stops itself when it finds no pending call. */
    private final AtomicBoolean sweeping = new AtomicBoolean();
    /** When the scheduled deadline sweep is due, on {@link WatchClock#nanoTime()}. */
    private volatile long sweepDueNanos;
    /** The stdout reader has taken every frame and waits for more: nothing unread but the pipe's. */
    private volatile boolean awaitingStdout;
    private ScheduledFuture<?> retireTimer;

    private volatile WorkerState publishedState = WorkerState.STARTING;
    /** Lua VMs, from the init frame; written once under lock in {@link #start}. */
    private volatile int capacity;
    private volatile boolean exited;
    private volatile long startNanos;
    private final AtomicLong heartbeatsSent = new AtomicLong();
    private final AtomicLong heartbeatsAnswered = new AtomicLong();

    /** How often pending calls are checked against their deadline: the precision of the kill. */
    static final Duration DEADLINE_SWEEP = Duration.ofMillis(10);
    /** A stall this long is logged as a warning (every event waited through it); shorter ones at debug. */
    private static final Duration NOTABLE_STALL = Duration.ofSeconds(1);

    /** A call written to the worker; past {@code deadlineNanos} ({@link WatchClock#now()}) it overran. */
    private record Pending(CompletableFuture<HookResult> future, long deadlineNanos) {
    }

    /**
     * Takes ownership of a launched process (see {@link WorkerLauncher#launch(int)}).
     *
     * @param timer shared scheduler for timeouts and heartbeats; its tasks are short and never block
     */
    public WorkerHandle(int id, Process process, AgentConfig config, ScheduledExecutorService timer) {
        this(id, process, config, timer, () -> -1);
    }

    /**
     * As {@link #WorkerHandle(int, Process, AgentConfig, ScheduledExecutorService)}, for a process
     * in a cgroup.
     *
     * @param oomKills the OOM kills counted in the worker's cgroup, -1 when unknown (see
     *                 {@link io.zentinel.sentinel.lua.supervisor.cgroup.WorkerCgroup#oomKills()}); read
     *                 once the process has exited, on the thread that reports the exit
     */
    public WorkerHandle(int id, Process process, AgentConfig config, ScheduledExecutorService timer,
                        LongSupplier oomKills) {
        this(id, process, config.workers().startTimeout(), config.limits().maxExecutionTime(),
                config.workers().killGrace(), config.workers().heartbeatInterval(), timer,
                LoggerFactory.getLogger(WorkerHandle.class), ProcessLimits.of(config.workers()), oomKills,
                new WatchClock());
    }

    WorkerHandle(int id, Process process, Duration startTimeout, Duration maxExecutionTime,
                 Duration killGrace, Duration heartbeatInterval, ScheduledExecutorService timer) {
        this(id, process, startTimeout, maxExecutionTime, killGrace, heartbeatInterval, timer,
                LoggerFactory.getLogger(WorkerHandle.class));
    }

    /** @param log where the handle logs (a capturing logger in tests) */
    WorkerHandle(int id, Process process, Duration startTimeout, Duration maxExecutionTime,
                 Duration killGrace, Duration heartbeatInterval, ScheduledExecutorService timer, Logger log) {
        this(id, process, startTimeout, maxExecutionTime, killGrace, heartbeatInterval, timer, log,
                ProcessLimits.none(), () -> -1, new WatchClock());
    }

    /** @param clock the clock call deadlines are measured on (one with stalls made up in tests) */
    WorkerHandle(int id, Process process, Duration startTimeout, Duration maxExecutionTime,
                 Duration killGrace, Duration heartbeatInterval, ScheduledExecutorService timer, WatchClock clock) {
        this(id, process, startTimeout, maxExecutionTime, killGrace, heartbeatInterval, timer,
                LoggerFactory.getLogger(WorkerHandle.class), ProcessLimits.none(), () -> -1, clock);
    }

    /**
     * @param processLimits how a SIGXCPU exit reads (workers.cpu-seconds)
     * @param oomKills      the OOM kills of the worker's cgroup, -1 when unknown
     * @param clock         the clock call deadlines are measured on
     */
    WorkerHandle(int id, Process process, Duration startTimeout, Duration maxExecutionTime,
                 Duration killGrace, Duration heartbeatInterval, ScheduledExecutorService timer, Logger log,
                 ProcessLimits processLimits, LongSupplier oomKills, WatchClock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.log = Objects.requireNonNull(log, "log");
        this.processLimits = Objects.requireNonNull(processLimits, "processLimits");
        this.oomKills = Objects.requireNonNull(oomKills, "oomKills");
        this.id = id;
        this.name = "worker-" + id;
        this.process = Objects.requireNonNull(process, "process");
        this.startTimeout = Objects.requireNonNull(startTimeout, "startTimeout");
        this.maxExecutionTime = Objects.requireNonNull(maxExecutionTime, "maxExecutionTime");
        this.killGrace = Objects.requireNonNull(killGrace, "killGrace");
        this.heartbeatInterval = Objects.requireNonNull(heartbeatInterval, "heartbeatInterval");
        this.timer = Objects.requireNonNull(timer, "timer");
        this.stdin = new SharedFrameWriter(new BufferedOutputStream(process.getOutputStream(), PIPE_BYTES), PIPE_LIMITS,
                PIPE_BYTES / 2);
        process.onExit().whenComplete((p, e) -> onExit());
    }

    @Override
    public int id() {
        return id;
    }

    @Override
    public long pid() {
        try {
            return process.pid();
        } catch (UnsupportedOperationException e) {
            return -1;
        }
    }

    @Override
    public Instant startedAt() {
        return startedAt;
    }

    @Override
    public WorkerState state() {
        return publishedState;
    }

    @Override
    public int inFlight() {
        lock.lock();
        try {
            return reserved;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int capacity() {
        return capacity;
    }

    @Override
    public long executions() {
        return executions.get();
    }

    @Override
    public CompletableFuture<WorkerExitStatus> exit() {
        return exit;
    }

    /** The hard deadline of one call: resource-limits.max-execution-time + workers.kill-grace. */
    public Duration callDeadline() {
        return maxExecutionTime.plus(killGrace);
    }

    // ------------------------------------------------------------------ start

    @Override
    public CompletableFuture<WorkerReady> start(WorkerInit init) {
        lock.lock();
        try {
            if (started) {
                throw new IllegalStateException(name + " - already started");
            }
            started = true;
            capacity = init.getVmCount();
            startNanos = System.nanoTime();
            if (!exited) {
                startTimer = timer.schedule(this::startTimedOut, startTimeout.toNanos(), TimeUnit.NANOSECONDS);
            }
        } finally {
            lock.unlock();
        }
        Thread reader = Thread.ofPlatform().daemon().name(name + "-stdout").unstarted(this::readLoop);
        reader.setUncaughtExceptionHandler((t, e) -> {
            log.error("{} - stdout reader failed, killing the worker", name, e);
            kill("stdout reader failed: " + e);
        });
        reader.start();
        try {
            stdin.write(SupervisorMessage.newBuilder().setInit(init).build().toByteArray());
        } catch (IOException e) {
            killUnlessExiting("init frame could not be written: " + e.getMessage());
        }
        return ready;
    }

    private void startTimedOut() {
        String reason = "not ready within " + startTimeout + " (workers.start-timeout)";
        if (ready.completeExceptionally(new WorkerGoneException(FailureCause.WORKER_KILLED, name + " - " + reason))) {
            kill(reason);
        }
    }

    // ------------------------------------------------------------------ calls

    @Override
    public boolean tryReserve() {
        lock.lock();
        try {
            if (state != WorkerState.READY || killReason != null || reserved >= capacity) {
                return false;
            }
            reserved++;
            return true;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void release() {
        String shutdownReason = null;
        lock.lock();
        try {
            if (reserved <= 0) {
                throw new IllegalStateException(name + " - release without a reservation");
            }
            reserved--;
            if (reserved == 0 && retireRequested && !shutdownSent) {
                shutdownReason = beginShutdown();
            }
        } finally {
            lock.unlock();
        }
        sendShutdown(shutdownReason);
    }

    @Override
    public CompletableFuture<HookResult> call(HookCall call) {
        if (exited) {
            return CompletableFuture.failedFuture(gone());
        }
        long callId = callIds.incrementAndGet();
        CompletableFuture<HookResult> future = new CompletableFuture<>();
        lock.lock();
        try {
            // pending <= reservations <= capacity for callers that reserve; anything else is a bug
            if (pending.size() >= capacity) {
                throw new IllegalStateException(name + " - a call beyond its " + capacity
                        + " Lua VMs would queue in the worker (one call per reservation)");
            }
            // a periodic sweep checks deadlines: one timer task per call cost more than the call
            pending.put(callId, new Pending(future, clock.now() + callDeadline().toNanos()));
        } finally {
            lock.unlock();
        }
        if (exited) {
            // the exit handler may have drained `pending` before the put above
            failPending(callId, gone());
            return future;
        }
        startSweep();
        try {
            byte[] frame = withCallId(call, callId);
            if (FlushBatch.hold(flushStdin)) {
                stdin.writeUnflushed(frame); // a reader thread with more frames at hand flushes later
            } else {
                stdin.write(frame);
            }
        } catch (IOException e) {
            pipeWriteFailed(e);
        }
        return future;
    }

    /** Sends calls whose flush a {@link FlushBatch} held back. */
    private void flushStdin() {
        try {
            stdin.flush();
        } catch (IOException e) {
            pipeWriteFailed(e);
        }
    }

    private void pipeWriteFailed(IOException e) {
        // the process is gone or going: its exit fails the calls with the real cause
        killUnlessExiting("pipe write failed: " + e.getMessage());
    }

    /**
     * The frame of {@code SupervisorMessage{call}} with the call's id set to {@code callId},
     * without copying the call (20 headers and more) into a builder: a second
     * {@code SupervisorMessage{call{call_id}}} is appended, and protobuf parsing merges the two
     * occurrences of the {@code call} field, the later {@code call_id} winning.
     */
    static byte[] withCallId(HookCall call, long callId) {
        SupervisorMessage whole = SupervisorMessage.newBuilder().setCall(call).build();
        SupervisorMessage id = SupervisorMessage.newBuilder().setCall(HookCall.newBuilder().setCallId(callId)).build();
        byte[] frame = new byte[whole.getSerializedSize() + id.getSerializedSize()];
        CodedOutputStream out = CodedOutputStream.newInstance(frame);
        try {
            whole.writeTo(out);
            id.writeTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException("encoding into an array of the computed size failed", e);
        }
        out.checkNoSpaceLeft();
        return frame;
    }

    /**
     * Timer task, every {@link #DEADLINE_SWEEP} while calls are pending: the calls past their
     * deadline overran, unless the stdout reader still has frames to take (one of them may be the
     * answer) and the call is less than one more deadline late. With none pending it stops; the
     * next {@link #call} starts it again (and if that call's put raced with the stop, the re-check
     * below keeps the sweep going).
     */
    private void sweepDeadlines() {
        long stalled = clock.ranLate(sweepDueNanos);
        if (stalled > 0) {
            log.atLevel(stalled >= NOTABLE_STALL.toNanos() ? Level.WARN : Level.DEBUG)
                    .log("{} - the supervisor did not run for {} ms; its calls' deadlines move by as much", name,
                            TimeUnit.NANOSECONDS.toMillis(stalled));
        }
        long now = clock.now();
        boolean readerWaiting = awaitingStdout;
        long lastChance = callDeadline().toNanos();
        for (Map.Entry<Long, Pending> e : pending.entrySet()) {
            long late = now - e.getValue().deadlineNanos();
            if (late >= 0 && (readerWaiting || late >= lastChance)) {
                overrun(e.getKey());
            }
        }
        if (!pending.isEmpty() && !exited) {
            scheduleSweep();
            return;
        }
        sweeping.set(false);
        if (!pending.isEmpty() && !exited) {
            startSweep();
        }
    }

    /** Schedules a sweep unless one is scheduled already. */
    private void startSweep() {
        if (!sweeping.get() && sweeping.compareAndSet(false, true)) {
            scheduleSweep();
        }
    }

    private void scheduleSweep() {
        try {
            sweepDueNanos = clock.nanoTime() + DEADLINE_SWEEP.toNanos();
            timer.schedule(this::sweepDeadlines, DEADLINE_SWEEP.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            sweeping.set(false); // the pool is closing; its workers are being stopped
        }
    }

    private void overrun(long callId) {
        Pending p = pending.remove(callId);
        if (p == null) {
            return;
        }
        String reason = "execution time overrun";
        kill(reason);
        p.future.completeExceptionally(new WorkerGoneException(FailureCause.TIME_LIMIT,
                name + " - call not answered within " + callDeadline()
                        + " (resource-limits.max-execution-time " + maxExecutionTime
                        + " + workers.kill-grace " + killGrace + "), worker killed"));
    }

    private void failPending(long callId, WorkerGoneException e) {
        Pending p = pending.remove(callId);
        if (p != null) {
            p.future.completeExceptionally(e);
        }
    }

    private WorkerGoneException gone() {
        WorkerExitStatus status = exit.getNow(null);
        String what = status != null ? status.describe() : "exited";
        boolean killed = status != null ? status.killed() : killReasonOrNull() != null;
        return new WorkerGoneException(killed ? FailureCause.WORKER_KILLED : FailureCause.WORKER_CRASHED,
                name + " - " + what);
    }

    private String killReasonOrNull() {
        lock.lock();
        try {
            return killReason;
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ stdout

    /** Runs on the platform thread {@code worker-<id>-stdout}. */
    private void readLoop() {
        FrameReader reader = new FrameReader(process.getInputStream(), PIPE_LIMITS);
        try (FlushBatch batch = FlushBatch.open()) {
            while (true) {
                boolean drained = !reader.hasBufferedFrame();
                if (drained) {
                    batch.flushHeld(); // calls handed to workers for the results read so far
                }
                awaitingStdout = drained;
                byte[] frame = reader.read();
                awaitingStdout = false;
                if (frame == null) {
                    break;
                }
                onMessage(WorkerMessage.parseFrom(frame));
            }
        } catch (IOException e) {
            if (!exited) {
                log.warn("{} - unreadable frame on stdout ({}), killing it", name, e.getMessage());
                kill("protocol error on stdout: " + e.getMessage());
            }
            return;
        }
        // stdout closes just before a normal exit; a worker that closes it and lives on is useless.
        // One told to shut down is timed by its retirement instead (SIGTERM, then SIGKILL): on a
        // crowded host its exit may come later than a kill grace after its stdout closed.
        if (!shutdownSent()) {
            killUnlessExiting("closed its stdout without exiting");
        }
    }

    private boolean shutdownSent() {
        lock.lock();
        try {
            return shutdownSent;
        } finally {
            lock.unlock();
        }
    }

    private void onMessage(WorkerMessage message) {
        switch (message.getKindCase()) {
            case RESULT -> {
                HookResult result = message.getResult();
                Pending p = pending.remove(result.getCallId());
                if (p == null) {
                    log.debug("{} - result for unknown call {} dropped", name, result.getCallId());
                    return;
                }
                executions.incrementAndGet();
                p.future.complete(result);
            }
            case HEARTBEAT -> heartbeatsAnswered.accumulateAndGet(
                    Math.min(message.getHeartbeat().getSequence(), heartbeatsSent.get()), Math::max);
            case READY -> onReady(message.getReady());
            case KIND_NOT_SET -> log.debug("{} - message of unknown kind ignored", name);
        }
    }

    private void onReady(WorkerReady message) {
        lock.lock();
        try {
            if (startTimer != null) {
                startTimer.cancel(false);
            }
            if (state == WorkerState.STARTING) {
                setState(WorkerState.READY);
                // fixed delay: after a stall, missed ticks must not fire back to back and count
                // the echoes not yet read as missed
                heartbeatTimer = timer.scheduleWithFixedDelay(this::heartbeat, heartbeatInterval.toNanos(),
                        heartbeatInterval.toNanos(), TimeUnit.NANOSECONDS);
            }
        } finally {
            lock.unlock();
        }
        log.info("{} - ready (pid {}, {} scripts, {} problems, {} ms)", name, pid(), message.getScriptsCount(),
                message.getProblemsCount(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
        ready.complete(message);
    }

    // ------------------------------------------------------------------ heartbeat

    /** Timer task: kills a worker that left {@value #MAX_MISSED_HEARTBEATS} heartbeats unanswered. */
    private void heartbeat() {
        if (exited) {
            return;
        }
        long sent = heartbeatsSent.get();
        if (sent - heartbeatsAnswered.get() >= MAX_MISSED_HEARTBEATS) {
            kill("missed heartbeat");
            return;
        }
        long sequence = heartbeatsSent.incrementAndGet();
        sendControl(SupervisorMessage.newBuilder().setHeartbeat(Heartbeat.newBuilder().setSequence(sequence)).build());
    }

    /** Writes a control frame from a virtual thread, so that a stuck pipe never blocks a timer. */
    private void sendControl(SupervisorMessage message) {
        byte[] frame = message.toByteArray();
        Thread.ofVirtual().name(name + "-control").start(() -> {
            try {
                stdin.write(frame);
            } catch (IOException e) {
                log.debug("{} - {} frame not written: {}", name, message.getKindCase(), e.getMessage());
            }
        });
    }

    // ------------------------------------------------------------------ stopping

    @Override
    public void retire(String reason) {
        String shutdownReason = null;
        lock.lock();
        try {
            if (retireRequested || exited) {
                return;
            }
            retireRequested = true;
            retireReason = reason;
            setState(WorkerState.RETIRING);
            if (reserved == 0) {
                shutdownReason = beginShutdown();
            } else {
                // leased calls end by their deadline at the latest; a lease kept longer is a bug
                retireTimer = timer.schedule(this::drainOverdue, callDeadline().plus(killGrace).toNanos(),
                        TimeUnit.NANOSECONDS);
            }
        } finally {
            lock.unlock();
        }
        log.info("{} - retiring: {}", name, reason);
        sendShutdown(shutdownReason);
    }

    /**
     * Under lock: marks Shutdown as sent and gives the worker the call deadline plus a grace to
     * exit before {@link #retireOverdue()}. Returns the reason to send.
     */
    private String beginShutdown() {
        shutdownSent = true;
        cancel(retireTimer);
        retireTimer = timer.schedule(this::retireOverdue, callDeadline().plus(killGrace).toNanos(),
                TimeUnit.NANOSECONDS);
        return retireReason;
    }

    private void sendShutdown(String reason) {
        if (reason != null) {
            sendControl(SupervisorMessage.newBuilder().setShutdown(Shutdown.newBuilder().setReason(reason)).build());
        }
    }

    /** Timer task: reservations were not returned within a call deadline and a grace; shut down anyway. */
    private void drainOverdue() {
        String shutdownReason = null;
        int held;
        lock.lock();
        try {
            if (exited || shutdownSent) {
                return;
            }
            held = reserved;
            shutdownReason = beginShutdown();
        } finally {
            lock.unlock();
        }
        log.warn("{} - {} reservations still held {} after retiring, sending Shutdown anyway", name, held,
                callDeadline().plus(killGrace));
        sendShutdown(shutdownReason);
    }

    /** Timer task: the retiring worker has not exited; SIGTERM now, SIGKILL a grace later. */
    private void retireOverdue() {
        lock.lock();
        try {
            if (exited) {
                return;
            }
            if (killReason == null) {
                killReason = "did not exit within " + callDeadline().plus(killGrace) + " of Shutdown, SIGTERM";
            }
        } finally {
            lock.unlock();
        }
        log.warn("{} - did not exit after retiring, sending SIGTERM", name);
        process.destroy();
        timer.schedule(this::sigtermOverdue, killGrace.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Timer task: still alive a grace after SIGTERM; SIGKILL. */
    private void sigtermOverdue() {
        lock.lock();
        try {
            if (exited || forceKilled) {
                return;
            }
            forceKilled = true;
            killReason = "did not stop within " + killGrace + " of SIGTERM, SIGKILL";
        } finally {
            lock.unlock();
        }
        log.warn("{} - still alive {} after SIGTERM, force-killing it", name, killGrace);
        process.destroyForcibly();
    }

    /**
     * A pipe broke: usually the process is exiting on its own, and its exit status is the better
     * description. Kill it only if it is still alive a grace later.
     */
    private void killUnlessExiting(String reason) {
        if (exited) {
            return;
        }
        try {
            timer.schedule(() -> {
                if (!exited) {
                    kill(reason);
                }
            }, killGrace.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            kill(reason); // the pool is closing: no grace to wait on
        }
    }

    /** Logs and sends SIGKILL once; later kills (e.g. every other overrunning call) are no-ops. */
    @Override
    public void kill(String reason) {
        lock.lock();
        try {
            if (exited || forceKilled) {
                return;
            }
            forceKilled = true;
            if (killReason == null) {
                killReason = reason;
            }
        } finally {
            lock.unlock();
        }
        log.warn("{} - killing (pid {}): {}", name, pid(), reason);
        process.destroyForcibly();
    }

    /** Runs once, on the thread completing {@code Process.onExit()}, when the process has exited. */
    private void onExit() {
        WorkerExitStatus status;
        lock.lock();
        try {
            exited = true;
            setState(WorkerState.DEAD);
            cancel(startTimer);
            cancel(heartbeatTimer);
            cancel(retireTimer);
            int exitValue;
            try {
                exitValue = process.exitValue();
            } catch (IllegalThreadStateException e) {
                exitValue = -1;
            }
            status = new WorkerExitStatus(exitValue, killReason, retireRequested);
        } finally {
            lock.unlock();
        }
        status = withKernelCause(status);
        if (status.killed()) {
            log.warn("{} - {}", name, status.describe());
        } else if (status.retired() && status.exitValue() == 0) {
            log.info("{} - retired after {} executions", name, executions.get());
        } else if (status.exitValue() == 0) {
            log.warn("{} - exited unexpectedly: {}", name, status.describe());
        } else {
            log.warn("{} - crashed: {}", name, status.describe());
        }
        WorkerGoneException gone = new WorkerGoneException(failureCause(status), name + " - " + status.describe());
        for (Long callId : pending.keySet()) {
            failPending(callId, gone);
        }
        ready.completeExceptionally(gone);
        try {
            stdin.close();
        } catch (IOException e) {
            log.debug("{} - closing stdin: {}", name, e.getMessage());
        }
        exit.complete(status);
    }

    /**
     * {@code status} with the limit the kernel enforced as its kill reason, when the supervisor did
     * not kill the process itself: RLIMIT_CPU (SIGXCPU), or the cgroup's memory limit (SIGKILL
     * while the cgroup counted an OOM kill; the count is read only for such an exit).
     */
    private WorkerExitStatus withKernelCause(WorkerExitStatus status) {
        return CgroupExits.withCgroupCause(processLimits.withRlimitCause(status), oomKills);
    }

    /** How the calls still in flight on a worker that ended with {@code status} fail. */
    static FailureCause failureCause(WorkerExitStatus status) {
        if (CgroupExits.OOM_KILL.equals(status.killReason())) {
            return FailureCause.MEMORY_LIMIT;
        }
        return status.killed() ? FailureCause.WORKER_KILLED : FailureCause.WORKER_CRASHED;
    }

    private static void cancel(ScheduledFuture<?> task) {
        if (task != null) {
            task.cancel(false);
        }
    }

    private void setState(WorkerState next) {
        state = next;
        publishedState = next;
    }

    @Override
    public String toString() {
        return name + "[pid " + pid() + ", " + publishedState + "]";
    }
}
