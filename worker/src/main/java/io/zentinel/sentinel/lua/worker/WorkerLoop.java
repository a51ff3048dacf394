package io.zentinel.sentinel.lua.worker;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;

import com.google.protobuf.InvalidProtocolBufferException;
import io.zentinel.sentinel.lua.protocol.WorkerExit;
import io.zentinel.sentinel.lua.protocol.frame.FrameException;
import io.zentinel.sentinel.lua.protocol.frame.FrameLimits;
import io.zentinel.sentinel.lua.protocol.frame.FrameReader;
import io.zentinel.sentinel.lua.protocol.frame.FrameWriter;
import io.zentinel.sentinel.lua.protocol.v1.Hook;
import io.zentinel.sentinel.lua.protocol.v1.HookCall;
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
 *     {@link LuaVm}, makes one warm-up call and runs every script's top-level code; then the loop
 *     answers {@code WorkerReady} with the scripts in run order and the problems. A script left
 *     out by any VM is left out by all, so every VM runs the same set.</li>
 * <li>{@code HookCall}s go into a bounded queue ({@value #QUEUE_CAPACITY}); the VM threads take
 *     them and write each {@code HookResult} through one thread-safe {@link FrameWriter}, so
 *     results may come back in another order than the calls; the id links them. A full queue
 *     makes the reader wait (back pressure on the pipe).</li>
 * <li>{@code Heartbeat}s are echoed at once by the reading thread.</li>
 * <li>{@code Shutdown}: no more calls are taken, the queued ones are finished, the output is
 *     closed, then {@link #run()} returns {@code RETIRED}.</li>
 * <li>End of input: the supervisor is gone, so {@link #run()} returns {@code RETIRED} at once
 *     without finishing queued calls (nobody would read their results).</li>
 * <li>A frame that cannot be read or parsed, a first message that is not {@code WorkerInit},
 *     a second {@code WorkerInit} or an init with invalid limits: {@code PROTOCOL}.</li>
 * </ol>
 *
 * <p>Threads: {@link #run()} runs on the caller's thread (the reader). VM threads are platform
 * daemon threads {@code lua-vm-<n>}. An {@link Error} on a VM thread (out of memory, a stack
 * overflow outside a script, a bug) is never survived: the VM thread hands it to {@link Exit}
 * and ends, and the production {@code Exit} ends the process with {@code SOFTWARE}. So does a
 * failure to write a result, with {@code RETIRED}: the supervisor is gone.
 */
public final class WorkerLoop {
    /** The frame bound of the pipe; the supervisor uses the same. */
    public static final FrameLimits PIPE_LIMITS = new FrameLimits(64 * 1024 * 1024, "worker pipe");
    public static final int QUEUE_CAPACITY = 1024;
    public static final int MAX_VMS = 256;

    private static final Logger LOG = LoggerFactory.getLogger(WorkerLoop.class);
    private static final HookCall STOP = HookCall.newBuilder().setCallId(-1).build();

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
    private BlockingQueue<HookCall> calls;
    private int workerId;

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
        FrameReader reader = new FrameReader(in, PIPE_LIMITS);
        try {
            byte[] frame = reader.read();
            if (frame == null) {
                LOG.info("worker - the supervisor closed the pipe before init, exiting");
                return WorkerExit.RETIRED;
            }
            SupervisorMessage first = SupervisorMessage.parseFrom(frame);
            if (!first.hasInit()) {
                LOG.error("worker - first message is {}, not init; exiting", first.getKindCase());
                return WorkerExit.PROTOCOL;
            }
            WorkerExit started = start(first.getInit());
            if (started != null) {
                return started;
            }
            while ((frame = reader.read()) != null) {
                SupervisorMessage message = SupervisorMessage.parseFrom(frame);
                switch (message.getKindCase()) {
                    case CALL -> calls.put(message.getCall());
                    case HEARTBEAT -> write(WorkerMessage.newBuilder().setHeartbeat(message.getHeartbeat()).build());
                    case SHUTDOWN -> {
                        LOG.info("worker-{} - shutdown ({}), finishing {} queued calls", workerId,
                                message.getShutdown().getReason(), calls.size());
                        finish();
                        out.close();
                        LOG.info("worker-{} - retired", workerId);
                        return WorkerExit.RETIRED;
                    }
                    case INIT -> {
                        LOG.error("worker-{} - a second init arrived; exiting", workerId);
                        abandon();
                        return WorkerExit.PROTOCOL;
                    }
                    case KIND_NOT_SET -> {
                        LOG.error("worker-{} - a message without a kind arrived; exiting", workerId);
                        abandon();
                        return WorkerExit.PROTOCOL;
                    }
                }
            }
            LOG.info("worker-{} - the supervisor closed the pipe, exiting", workerId);
            abandon();
            return WorkerExit.RETIRED;
        } catch (FrameException | InvalidProtocolBufferException e) {
            LOG.error("worker-{} - bad frame from the supervisor: {}", workerId, e.getMessage());
            abandon();
            return WorkerExit.PROTOCOL;
        } catch (IOException e) {
            LOG.warn("worker-{} - reading from the supervisor failed ({}), exiting", workerId, e.toString());
            abandon();
            return WorkerExit.RETIRED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            LOG.error("worker-{} - interrupted, exiting", workerId);
            abandon();
            return WorkerExit.SOFTWARE;
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
        } catch (IllegalArgumentException e) {
            LOG.error("worker-{} - invalid init: {}", workerId, e.getMessage());
            return WorkerExit.PROTOCOL;
        }
        long begin = System.nanoTime();
        ScriptCatalog catalog = ScriptCatalog.compile(init.getScriptsList());
        int vms = init.getVmCount();
        calls = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
        CountDownLatch loaded = new CountDownLatch(vms);
        CountDownLatch go = new CountDownLatch(1);
        Slot[] slots = new Slot[vms];
        for (int i = 0; i < vms; i++) {
            Slot slot = new Slot();
            slots[i] = slot;
            int vmId = i;
            Thread thread = Thread.ofPlatform()
                    .name("lua-vm-" + i)
                    .daemon(true)
                    .unstarted(() -> vmMain(vmId, slot, limits, catalog, init, loaded, go));
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
            CountDownLatch loaded, CountDownLatch go) {
        boolean counted = false;
        try {
            LuaVm vm = new LuaVm(vmId, limits, catalog, init.getAgentVersion(), init.getDebugScripts());
            vm.warmUp();
            slot.loads = vm.load();
            loaded.countDown();
            counted = true;
            go.await();
            vm.use(slot.selector);
            while (true) {
                HookCall call = calls.take();
                if (call == STOP) {
                    return;
                }
                HookResult result = vm.handle(call);
                try {
                    write(WorkerMessage.newBuilder().setResult(result).build());
                } catch (IOException e) {
                    exit.exit(WorkerExit.RETIRED, "writing a result failed (" + e + "): the supervisor is gone", null);
                    return;
                }
            }
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

    private void write(WorkerMessage message) throws IOException {
        out.write(message.toByteArray());
    }

    /** After Shutdown: queued calls first, then each VM thread ends. */
    private void finish() throws InterruptedException {
        for (int i = 0; i < vmThreads.size(); i++) {
            calls.put(STOP);
        }
        for (Thread thread : vmThreads) {
            thread.join();
        }
    }

    /** The supervisor is gone or misbehaved: queued calls are dropped and the VM threads told to end. */
    private void abandon() {
        if (calls == null) {
            return;
        }
        calls.clear();
        for (int i = 0; i < vmThreads.size(); i++) {
            if (!calls.offer(STOP)) {
                break;
            }
        }
    }
}
