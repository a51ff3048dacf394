package io.zentinel.sentinel.lua.worker;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import io.zentinel.sentinel.lua.protocol.WorkerExit;
import io.zentinel.sentinel.lua.protocol.frame.FrameException;
import io.zentinel.sentinel.lua.protocol.frame.FrameLimits;
import io.zentinel.sentinel.lua.protocol.frame.FrameReader;
import io.zentinel.sentinel.lua.protocol.frame.FrameWriter;
import io.zentinel.sentinel.lua.protocol.v1.Hook;
import io.zentinel.sentinel.lua.protocol.v1.HookResult;
import io.zentinel.sentinel.lua.protocol.v1.ScriptInfo;
import io.zentinel.sentinel.lua.protocol.v1.ScriptProblem;
import io.zentinel.sentinel.lua.protocol.v1.SupervisorMessage;
import io.zentinel.sentinel.lua.protocol.v1.WorkerInit;
import io.zentinel.sentinel.lua.protocol.v1.WorkerMessage;
import io.zentinel.sentinel.lua.protocol.v1.WorkerReady;
import io.zentinel.sentinel.lua.worker.lua.LuaVm;
import io.zentinel.sentinel.lua.worker.sandbox.RunLimits;
import io.zentinel.sentinel.lua.worker.script.Hooks;
import io.zentinel.sentinel.lua.worker.script.PathGlob;
import io.zentinel.sentinel.lua.worker.script.ScriptCatalog;
import io.zentinel.sentinel.lua.worker.script.ScriptDefinition;
import io.zentinel.sentinel.lua.worker.script.ScriptSelector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's protocol loop: reads {@code SupervisorMessage} frames, runs calls on the Lua VMs,
 * writes {@code WorkerMessage} frames.
 *
 * <ol>
 * <li>The first frame must be {@code WorkerInit}: the script set is compiled once
 *     ({@link ScriptCatalog}), {@code vm_count} VM threads are started, each builds its own
 *     {@link LuaVm} (one at a time), makes one warm-up call and runs every script's top-level
 *     code; then the loop answers {@code WorkerReady} with the scripts in run order and the
 *     problems. A script left out by any VM is left out by all, so every VM runs the same set.</li>
 * <li>The VM threads then take turns reading the pipe ({@link ReaderRole}): the thread holding
 *     the turn reads one message and runs a {@code HookCall} itself, on its own VM, writing the
 *     {@code HookResult} through one thread-safe {@link FrameWriter} (in batches: see
 *     {@link #serve}). Once its call has run for
 *     {@link ReaderRole#RELIEF_NANOS} another VM thread takes the turn, so results may come back
 *     in another order than the calls; the id links them. While every VM is busy the pipe is not
 *     read (back pressure on the pipe).</li>
 * <li>After answering a call, a VM that is due by the init's {@code vm_renewal} gives its
 *     scripts fresh environments ({@link RenewingVm}) on its own thread.</li>
 * <li>{@code Heartbeat}s are echoed at once by the reading thread.</li>
 * <li>{@code Shutdown}: no more messages are read, the calls already read are finished, the
 *     output is closed, then {@link #run()} returns {@code RETIRED}.</li>
 * <li>End of input: the supervisor is gone, so {@link #run()} returns {@code RETIRED} at once
 *     without waiting for running calls (nobody would read their results).</li>
 * <li>A frame that cannot be read or parsed, a first message that is not {@code WorkerInit},
 *     a second {@code WorkerInit} or an init with invalid limits: {@code PROTOCOL}.</li>
 * </ol>
 *
 * <p>Threads: {@link #run()} runs on the caller's thread, which reads the init and then waits
 * until a VM thread decides how the loop ends. VM threads are platform daemon threads
 * {@code lua-vm-<n>}. An {@link Error} on a VM thread (out of memory, a stack overflow outside a
 * script, a bug) is never survived: the VM thread hands it to {@link Exit} and ends, and the
 * production {@code Exit} ends the process with {@code SOFTWARE}. So does a failure to write a
 * result, with {@code RETIRED}: the supervisor is gone.
 */
public final class WorkerLoop {
    /** The frame bound of the pipe; the supervisor uses the same. */
    public static final FrameLimits PIPE_LIMITS = new FrameLimits(64 * 1024 * 1024, "worker pipe");
    public static final int MAX_VMS = 256;

    private static final Logger LOG = LoggerFactory.getLogger(WorkerLoop.class);

    /** How the process ends when a thread other than the reader cannot go on. */
    @FunctionalInterface
    public interface Exit {
        /** Called from a VM thread; the production implementation does not return. */
        void exit(WorkerExit status, String reason, Throwable cause);
    }

    private final InputStream in;
    private final FrameWriter out;
    private final Exit exit;
    private final List<Thread> vmThreads = new ArrayList<>();
    private final ReaderRole role = new ReaderRole();
    /** How the loop ends, decided by the VM thread that read the last message. */
    private final CompletableFuture<Ending> ending = new CompletableFuture<>();
    private FrameReader reader;
    private int workerId;

    /** The exit status, and whether the calls already read are finished first. */
    private record Ending(WorkerExit status, boolean finishCalls) {
    }

    public WorkerLoop(InputStream in, OutputStream out, Exit exit) {
        this.in = Objects.requireNonNull(in, "in");
        this.out = new FrameWriter(Objects.requireNonNull(out, "out"), PIPE_LIMITS);
        this.exit = Objects.requireNonNull(exit, "exit");
    }

    /**
     * Runs until the supervisor says {@code Shutdown} or goes away, or a frame is bad.
     *
     * @return the status the process should exit with
     */
    public WorkerExit run() {
        reader = new FrameReader(in, PIPE_LIMITS);
        try {
            byte[] frame = reader.read();
            if (frame == null) {
                LOG.info("worker - the supervisor closed the pipe before init, exiting");
                return WorkerExit.RETIRED;
            }
            SupervisorMessage first = parse(frame);
            if (!first.hasInit()) {
                LOG.error("worker - first message is {}, not init; exiting", first.getKindCase());
                return WorkerExit.PROTOCOL;
            }
            WorkerExit started = start(first.getInit());
            if (started != null) {
                return started;
            }
            Ending end = ending.get();
            if (end.finishCalls()) {
                for (Thread thread : vmThreads) {
                    thread.join();
                }
                out.close();
                LOG.info("worker-{} - retired", workerId);
            }
            return end.status();
        } catch (FrameException | InvalidProtocolBufferException e) {
            LOG.error("worker - bad first frame from the supervisor: {}", e.getMessage());
            return WorkerExit.PROTOCOL;
        } catch (IOException e) {
            LOG.warn("worker - reading from the supervisor failed ({}), exiting", e.toString());
            abandon();
            return WorkerExit.RETIRED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            LOG.error("worker-{} - interrupted, exiting", workerId);
            abandon();
            return WorkerExit.SOFTWARE;
        } catch (ExecutionException e) {
            throw new IllegalStateException("the ending is only ever completed normally", e);
        }
    }

    // ------------------------------------------------------------------ start

    /** One VM thread's view of the start: filled by the VM thread, read after {@code loaded}. */
    private static final class Slot {
        volatile List<LuaVm.ScriptLoad> loads;
        volatile Throwable failure;
        volatile ScriptSelector selector;
    }

    /** Starts the VMs and answers ready; returns a status to exit with, or {@code null} to go on. */
    private WorkerExit start(WorkerInit init) throws IOException, InterruptedException {
        workerId = init.getWorkerId();
        RunLimits limits;
        try {
            if (!init.hasLimits()) {
                throw new IllegalArgumentException("WorkerInit.limits is missing");
            }
            limits = RunLimits.from(init.getLimits());
            if (init.getVmCount() < 1 || init.getVmCount() > MAX_VMS) {
                throw new IllegalArgumentException("WorkerInit.vm_count must be between 1 and " + MAX_VMS
                        + " (was " + init.getVmCount() + ")");
            }
            VmLifetime.check(init.getVmRenewal());
        } catch (IllegalArgumentException e) {
            LOG.error("worker-{} - invalid init: {}", workerId, e.getMessage());
            return WorkerExit.PROTOCOL;
        }
        long begin = System.nanoTime();
        ScriptCatalog catalog = ScriptCatalog.compile(init.getScriptsList());
        int vms = init.getVmCount();
        CountDownLatch loaded = new CountDownLatch(vms);
        CountDownLatch go = new CountDownLatch(1);
        // One VM builds at a time: the first one's build is mostly class initialisation and cold
        // code, which the others waited on anyway, and on the worker's one CPU four builds at once
        // made a lone worker ready 25-45 ms (6-10%) later.
        Semaphore building = new Semaphore(1);
        Slot[] slots = new Slot[vms];
        for (int i = 0; i < vms; i++) {
            Slot slot = new Slot();
            slots[i] = slot;
            int vmId = i;
            Thread thread = Thread.ofPlatform()
                    .name("lua-vm-" + i)
                    .daemon(true)
                    .unstarted(() -> vmMain(vmId, slot, limits, catalog, init, building, loaded, go));
            vmThreads.add(thread);
            thread.start();
        }
        loaded.await();
        for (Slot slot : slots) {
            if (slot.failure != null) {
                for (Slot other : slots) {
                    other.selector = new ScriptSelector(List.of());
                }
                go.countDown();
                abandon();
                return WorkerExit.SOFTWARE; // the VM thread has already handed its failure to Exit
            }
        }
        List<ScriptProblem> problems = new ArrayList<>(catalog.problems());
        List<ScriptSelector.Entry> entries = merge(catalog, slots, problems);
        ScriptSelector selector = new ScriptSelector(entries);
        for (Slot slot : slots) {
            slot.selector = selector;
        }
        go.countDown();
        WorkerReady.Builder ready = WorkerReady.newBuilder().setWorkerId(workerId).addAllProblems(problems);
        for (ScriptSelector.Entry entry : entries.stream()
                .sorted(Comparator.comparingInt(e -> e.script().index())).toList()) {
            ready.addScripts(info(entry));
        }
        for (ScriptProblem p : problems) {
            LOG.warn("worker-{} - {}:{}: {}, script left out", workerId, p.getFileName(), p.getLine(), p.getReason());
        }
        write(WorkerMessage.newBuilder().setReady(ready).build());
        LOG.info("worker-{} - ready in {} ms: {} VMs, {} scripts, {} left out", workerId,
                (System.nanoTime() - begin) / 1_000_000, vms, entries.size(), problems.size());
        return null;
    }

    /** Keeps the scripts that loaded in every VM with the same hooks; the others become problems. */
    private static List<ScriptSelector.Entry> merge(ScriptCatalog catalog, Slot[] slots, List<ScriptProblem> problems) {
        List<ScriptSelector.Entry> entries = new ArrayList<>();
        for (ScriptDefinition script : catalog.scripts()) {
            ScriptProblem problem = null;
            Set<Hook> hooks = null;
            for (Slot slot : slots) {
                LuaVm.ScriptLoad load = slot.loads.get(script.index());
                if (!load.ok()) {
                    problem = load.problem();
                    break;
                }
                if (hooks == null) {
                    hooks = load.hooks();
                } else if (!hooks.equals(load.hooks())) {
                    problem = ScriptProblem.newBuilder().setFileName(script.fileName()).setReason(
                            "defines different hook functions in different VMs (its top-level code is not deterministic)")
                            .build();
                    break;
                }
            }
            if (problem != null) {
                problems.add(problem);
            } else {
                entries.add(new ScriptSelector.Entry(script, hooks));
            }
        }
        return entries;
    }

    private static ScriptInfo info(ScriptSelector.Entry entry) {
        ScriptDefinition script = entry.script();
        ScriptInfo.Builder info = ScriptInfo.newBuilder()
                .setFileName(script.fileName())
                .setName(script.name())
                .setVersion(script.header().version())
                .setPriority(script.header().priority());
        for (Hook hook : Hooks.ALL) {
            if (entry.hooks().contains(hook)) {
                info.addHooks(hook);
            }
        }
        for (PathGlob glob : script.header().paths()) {
            info.addPaths(glob.toString());
        }
        script.header().methods().stream().sorted().forEach(info::addMethods);
        return info.build();
    }

    // ------------------------------------------------------------------ VM threads

    private void vmMain(int vmId, Slot slot, RunLimits limits, ScriptCatalog catalog, WorkerInit init,
            Semaphore building, CountDownLatch loaded, CountDownLatch go) {
        boolean counted = false;
        try {
            LuaVm vm;
            building.acquire();
            try {
                vm = new LuaVm(vmId, limits, catalog, init.getAgentVersion(), init.getDebugScripts());
                vm.warmUp();
            } finally {
                building.release();
            }
            slot.loads = vm.load();
            loaded.countDown();
            counted = true;
            go.await();
            serve(new RenewingVm(vm, slot.selector, new VmLifetime(init.getVmRenewal(), System.nanoTime())));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable t) {
            slot.failure = t;
            if (!counted) {
                loaded.countDown();
            }
            exit.exit(WorkerExit.SOFTWARE, "Lua VM " + vmId + " failed", t);
        }
    }

    /**
     * One VM thread's turns: while it holds the {@link ReaderRole} it reads a message and acts on
     * it; a call it runs itself. Returns when the turns end.
     *
     * <p>Results are sent in batches: a holder that has the next call already read (several
     * often come in one read of the pipe) leaves its result in the output buffer and runs that
     * call; the output is flushed before the holder waits for the pipe, when another thread takes
     * the role over (after at most {@link ReaderRole#RELIEF_NANOS} of one call, so a slow call
     * holds a result back no longer than that), and by every result written unbatched. One write
     * per call was a tenth of the worker's CPU and woke the supervisor's reader once per result.
     * While the holder runs with a call read ahead, fewer calls than VMs are running, so another
     * VM thread is waiting to take the role over.
     */
    private void serve(RenewingVm vm) throws InterruptedException {
        boolean holding = takeRole();
        while (holding) {
            if (!reader.hasBufferedFrame() && !flush()) {
                return; // about to wait for the pipe: the results held back go first
            }
            SupervisorMessage message = next();
            if (message == null) {
                return;
            }
            switch (message.getKindCase()) {
                case CALL -> {
                    role.running();
                    HookResult result = vm.handle(message.getCall());
                    boolean callReadAhead = role.holdsAnd(reader::hasBufferedFrame);
                    if (!answer(WorkerMessage.newBuilder().setResult(result).build(), !callReadAhead)) {
                        return;
                    }
                    // Still counted as running the call: a renewal does not keep the pipe unread
                    // longer than a slow call would.
                    vm.answered();
                    holding = role.resume() || takeRole();
                }
                case HEARTBEAT -> {
                    if (!answer(WorkerMessage.newBuilder().setHeartbeat(message.getHeartbeat()).build(), true)) {
                        return;
                    }
                }
                case SHUTDOWN -> {
                    LOG.info("worker-{} - shutdown ({}), finishing the calls already read", workerId,
                            message.getShutdown().getReason());
                    end(WorkerExit.RETIRED, true);
                    return;
                }
                case INIT -> {
                    LOG.error("worker-{} - a second init arrived; exiting", workerId);
                    end(WorkerExit.PROTOCOL, false);
                    return;
                }
                case KIND_NOT_SET -> {
                    LOG.error("worker-{} - a message without a kind arrived; exiting", workerId);
                    end(WorkerExit.PROTOCOL, false);
                    return;
                }
            }
        }
    }

    /**
     * Waits for the role; a thread that gets it sends the results a relieved holder left in the
     * output buffer, before it runs calls of its own.
     *
     * @return {@code false} once the turns are closed, or the output failed
     */
    private boolean takeRole() throws InterruptedException {
        return role.take() && flush();
    }

    /**
     * A frame from the supervisor as a message whose {@code bytes} fields (header lists, bodies,
     * ctx) are views of the frame instead of copies of it. That is safe because
     * {@link FrameReader#read()} returns a new array for every frame and nothing writes to it
     * afterwards.
     */
    public static SupervisorMessage parse(byte[] frame) throws InvalidProtocolBufferException {
        CodedInputStream in = UnsafeByteOperations.unsafeWrap(frame).newCodedInput();
        in.enableAliasing(true);
        try {
            return SupervisorMessage.parseFrom(in);
        } catch (InvalidProtocolBufferException e) {
            throw e;
        } catch (IOException e) {
            throw new InvalidProtocolBufferException(e);
        }
    }

    /** The next message from the supervisor, or {@code null} after deciding how the loop ends. */
    private SupervisorMessage next() {
        try {
            byte[] frame = reader.read();
            if (frame != null) {
                return parse(frame);
            }
            LOG.info("worker-{} - the supervisor closed the pipe, exiting", workerId);
            end(WorkerExit.RETIRED, false);
        } catch (FrameException | InvalidProtocolBufferException e) {
            LOG.error("worker-{} - bad frame from the supervisor: {}", workerId, e.getMessage());
            end(WorkerExit.PROTOCOL, false);
        } catch (IOException e) {
            LOG.warn("worker-{} - reading from the supervisor failed ({}), exiting", workerId, e.toString());
            end(WorkerExit.RETIRED, false);
        }
        return null;
    }

    /**
     * Writes a message, flushed or left in the output buffer; a failed write ends the process
     * (the supervisor is gone).
     */
    private boolean answer(WorkerMessage message, boolean flushed) {
        try {
            if (flushed) {
                write(message);
            } else {
                out.writeUnflushed(message.toByteArray());
            }
            return true;
        } catch (IOException e) {
            return outputFailed(e);
        }
    }

    /** Sends what {@link #answer} left in the output buffer; {@code false} if that failed. */
    private boolean flush() {
        try {
            out.flush();
            return true;
        } catch (IOException e) {
            return outputFailed(e);
        }
    }

    private boolean outputFailed(IOException e) {
        exit.exit(WorkerExit.RETIRED, "writing to the supervisor failed (" + e + "): it is gone", null);
        return false;
    }

    private void write(WorkerMessage message) throws IOException {
        out.write(message.toByteArray());
    }

    /** Ends the turns and tells {@link #run()} how to end. */
    private void end(WorkerExit status, boolean finishCalls) {
        role.close();
        if (!finishCalls) {
            try {
                out.flush(); // the results held back are answers the supervisor may still read
            } catch (IOException e) {
                // the supervisor is gone: nothing to send them to
            }
        }
        ending.complete(new Ending(status, finishCalls));
    }

    /** The loop ends without the VM threads: they are told to stop after their current call. */
    private void abandon() {
        role.close();
    }
}
