package io.zentinel.sentinel.lua.worker.sandbox;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.zentinel.sentinel.lua.protocol.v1.FailureKind;
import org.luaj.vm2.Globals;
import org.luaj.vm2.Lua;
import org.luaj.vm2.LuaClosure;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaFunction;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaThread;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.DebugLib;
import org.luaj.vm2.lib.OneArgFunction;

/**
 * The limits of one Lua VM's script runs, enforced from LuaJ's debug hooks.
 *
 * <p>Loaded into the VM's {@code Globals} like a library, so that {@code globals.debuglib} points
 * to it and every {@code LuaClosure} calls it; the {@code debug} table it installs is removed
 * from the environment again by {@link SandboxFactory}. Overriding every hook also skips LuaJ's
 * own call-stack bookkeeping, which makes this much cheaper than {@code debug.sethook}.
 *
 * <ul>
 * <li>Instructions: counted per script run; past {@code resource-limits.max-instructions} a
 *     {@link BudgetExceededError} is thrown. Work that library code does in Java is charged
 *     through {@link #chargeInstructions(long)}: the Lua pattern functions charge one
 *     instruction per four matching steps.</li>
 * <li>Every {@value #CHECK_INTERVAL} instructions: the deadline (the earlier of the script's
 *     {@code scripts.timeout} and the event's {@code resource-limits.max-execution-time}) and
 *     the bytes the run's threads allocated (measured with
 *     {@code ThreadMXBean.getCurrentThreadAllocatedBytes()}); each time they pass another
 *     {@code resource-limits.max-memory}, the growth of the worker's live heap (in use after the
 *     most recent garbage collection) since the run started is compared with that limit, so
 *     that garbage alone never fails a run (a numeric loop allocates 16-20 bytes per
 *     instruction in boxed numbers) but data a run keeps does. Strings of
 *     {@value #LARGE_STRING_BYTES} bytes or more settle the count at once.</li>
 * <li>Table stores: before each {@code SETTABLE}, {@code SETTABUP} (global assignment) and
 *     {@code SETLIST} (table constructor) the target table's entries are checked against
 *     {@code resource-limits.max-table-entries} (see {@link TableEntries}).</li>
 * <li>Concatenation: before each {@code OP_CONCAT} the operands' lengths are added up and
 *     checked against {@code resource-limits.max-string-bytes}, so {@code s = s .. s} cannot
 *     double its way past the heap between two allocation checks.</li>
 * <li>Call depth: {@code resource-limits.max-call-depth} nested calls per Lua thread; one more
 *     raises the catchable Lua error {@code stack overflow}, as real Lua does, instead of a
 *     {@code StackOverflowError} that {@code pcall} cannot catch.</li>
 * </ul>
 *
 * <p>Every limit error is sticky: once thrown, every following instruction of the run throws it
 * again. Together with {@code BudgetExceededError} being an {@code Error}, which {@code pcall}
 * does not catch, a script cannot continue past a limit, not even by catching it inside a
 * coroutine (whose thread turns any {@code Throwable} into {@code resume() -> false}).
 *
 * <p>Coroutines run on their own platform threads in LuaJ 3.0.1. Their call stacks and
 * allocation marks are kept per Lua thread, and at the end of each run every coroutine thread
 * the run started is interrupted, which LuaJ turns into the coroutine's death: coroutines do not
 * outlive the script run that resumed them.
 *
 * <p>One instance belongs to one VM; it is used from the VM thread and from the coroutine threads
 * of that VM, never from two threads at once (a coroutine runs only while its resumer waits).
 */
public final class InstructionBudget extends DebugLib implements ExecutionGuard {

    /** Instructions between two deadline and allocation checks. */
    public static final int CHECK_INTERVAL = 1024;
    /** A string at least this long about to be built settles the allocation count at once. */
    static final long LARGE_STRING_BYTES = 64 * 1024;

    static final String KEY_INSTRUCTIONS = "resource-limits.max-instructions";
    static final String KEY_EXECUTION_TIME = "resource-limits.max-execution-time";
    static final String KEY_SCRIPT_TIMEOUT = "scripts.timeout";
    static final String KEY_MEMORY = "resource-limits.max-memory";
    static final String KEY_STRING = "resource-limits.max-string-bytes";
    static final String KEY_TABLE = "resource-limits.max-table-entries";
    static final String KEY_COROUTINES = "resource-limits.max-coroutines";

    private static final com.sun.management.ThreadMXBean THREADS = threads();
    private static final InheritableThreadLocal<ExecutionGuard> CURRENT = new InheritableThreadLocal<>();
    /** Longest text a number can turn into when concatenated ({@code %.14g} plus sign and exponent). */
    private static final int NUMBER_TEXT_BYTES = 32;

    /**
     * The error handler LuaJ calls with a runtime error's message ({@code LuaThread.errorfunc}):
     * turns LuaJ's {@code "a.lua:3 message"} into Lua's {@code "a.lua:3: message"}. Without it,
     * LuaJ appends a traceback to every error message when a debug library is loaded.
     */
    static final LuaFunction ERROR_FORMAT = new OneArgFunction() {
        @Override
        public LuaValue call(LuaValue message) {
            return LuaValue.valueOf(luaPosition(message.tojstring()));
        }
    };
    private static final Pattern POSITION = Pattern.compile("^(\\S*?:(?:\\d+|\\?)) (?!\\s)", Pattern.DOTALL);

    /** {@code "a.lua:3 message"} (LuaJ) as {@code "a.lua:3: message"} (Lua); other text unchanged. */
    static String luaPosition(String message) {
        Matcher m = POSITION.matcher(message);
        return m.find() ? m.group(1) + ": " + message.substring(m.end()) : message;
    }

    private final RunLimits limits;
    private final boolean measureAllocation;
    private final List<CallFrames> coroutineFrames = new ArrayList<>();
    private final TableEntries tableEntries = new TableEntries();
    private final PatternCache patterns = new PatternCache();

    private Globals globals;
    private LuaThread mainThread;
    private CallFrames mainFrames;

    private boolean running;
    private long instructions;
    private long nextCheck = Long.MAX_VALUE;
    private long allocated;
    /** Bytes of {@link #allocated} already judged by {@link #checkLiveHeap()}. */
    private long allocationJudged;
    /** {@link LiveHeap#bytesAfterLastCollection()} when the run started. */
    private long liveAtStart;
    /** Large string lengths announced by libraries since the allocation count was last settled for them. */
    private long largeStringBytes;
    private int coroutinesCreated;
    private BudgetExceededError tripped;

    private boolean inEvent;
    private long eventStart;
    private long eventDeadline;
    private long runStart;
    private long scriptDeadline;
    private long deadline;
    private boolean eventDeadlineFirst;

    public InstructionBudget(RunLimits limits) {
        this.limits = limits;
        this.measureAllocation = THREADS != null;
    }

    private static com.sun.management.ThreadMXBean threads() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t
                && t.isThreadAllocatedMemorySupported()) {
            if (!t.isThreadAllocatedMemoryEnabled()) {
                t.setThreadAllocatedMemoryEnabled(true);
            }
            return t;
        }
        return null;
    }

    /**
     * The guard of the script run on this thread (or the coroutine thread it started), for
     * library functions that are shared by every VM of the JVM, such as the string metatable's.
     * Outside any run, a guard with the default limits.
     */
    public static ExecutionGuard current() {
        ExecutionGuard guard = CURRENT.get();
        return guard != null ? guard : Fallback.GUARD;
    }

    @Override
    public LuaValue call(LuaValue modname, LuaValue env) {
        LuaValue debug = super.call(modname, env);
        this.globals = env.checkglobals();
        this.mainThread = globals.running;
        this.mainFrames = new CallFrames(Thread.currentThread(), limits.maxCallDepth(), allocatedNow());
        mainThread.callstack = mainFrames;
        mainThread.errorfunc = ERROR_FORMAT;
        return debug;
    }

    public RunLimits limits() {
        return limits;
    }

    // ------------------------------------------------------------------ run lifecycle

    /** Starts an event: the deadline of {@code resource-limits.max-execution-time} counts from {@code startNanos}. */
    public void beginEvent(long startNanos) {
        inEvent = true;
        eventStart = startNanos;
        eventDeadline = startNanos + limits.maxExecutionMs() * 1_000_000L;
    }

    /** Ends the event; runs outside an event (loading a chunk) only have the script timeout. */
    public void endEvent() {
        inEvent = false;
    }

    /**
     * Starts a script run on the VM thread: resets the counters and the call stack and checks the
     * deadline once (a run that starts after its event's deadline fails at once).
     *
     * @throws BudgetExceededError when the event's deadline has already passed
     */
    public void beginRun() {
        if (mainThread == null) {
            throw new IllegalStateException("the budget was not loaded into a Globals");
        }
        runStart = System.nanoTime();
        scriptDeadline = runStart + limits.scriptTimeoutMs() * 1_000_000L;
        eventDeadlineFirst = inEvent && eventDeadline - scriptDeadline <= 0;
        deadline = eventDeadlineFirst ? eventDeadline : scriptDeadline;
        instructions = 0;
        allocated = 0;
        allocationJudged = 0;
        largeStringBytes = 0;
        tableEntries.clear();
        liveAtStart = measureAllocation ? LiveHeap.bytesAfterLastCollection() : 0;
        coroutinesCreated = 0;
        tripped = null;
        globals.running = mainThread;
        mainFrames.clear();
        mainFrames.thread = Thread.currentThread();
        mainFrames.allocationMark = allocatedNow();
        nextCheck = Math.min(CHECK_INTERVAL, saturatedIncrement(limits.maxInstructions()));
        CURRENT.set(this);
        running = true;
        checkTime(System.nanoTime());
    }

    /** Ends the run: stops the coroutine threads it started and settles the allocation count. */
    public void endRun() {
        if (Thread.currentThread() == mainFrames.thread) {
            settleAllocation(mainFrames);
        }
        running = false;
        nextCheck = Long.MAX_VALUE;
        tableEntries.clear();
        for (CallFrames f : coroutineFrames) {
            if (f.thread != Thread.currentThread() && f.thread.isAlive()) {
                f.thread.interrupt();
            }
        }
        coroutineFrames.clear();
    }

    /** Instructions of the current or last run. */
    public long instructions() {
        return instructions;
    }

    /** The table size check of this VM's table stores ({@code rawset} uses it too). */
    TableEntries tableEntries() {
        return tableEntries;
    }

    /** The Lua patterns this VM read most recently. */
    PatternCache patterns() {
        return patterns;
    }

    /** Bytes allocated by the current or last run (as far as measured). */
    public long allocatedBytes() {
        return allocated;
    }

    /**
     * Counts a coroutine created by {@code coroutine.create} or {@code coroutine.wrap}.
     *
     * @throws LuaError when the run already created {@code resource-limits.max-coroutines}
     */
    public void countCoroutine() {
        if (running && ++coroutinesCreated > limits.maxCoroutines()) {
            throw new LuaError("too many coroutines in one script run (" + coroutinesCreated
                    + ", the maximum allowed is " + limits.maxCoroutines() + ", from '" + KEY_COROUTINES + "')");
        }
    }

    // ------------------------------------------------------------------ hooks

    @Override
    public void onCall(LuaFunction f) {
        frames().push(null, null);
    }

    @Override
    public void onCall(LuaClosure c, Varargs varargs, LuaValue[] stack) {
        frames().push(c, stack);
    }

    @Override
    public void onReturn() {
        frames().pop();
    }

    @Override
    public void onInstruction(int pc, Varargs v, int top) {
        if (++instructions >= nextCheck) {
            checkpoint();
        }
        if (globals.running.callstack instanceof CallFrames f) {
            int[] code = f.code;
            if (code != null) {
                int instruction = code[pc];
                switch (instruction & 0x3F) {
                    case Lua.OP_CONCAT -> checkConcat(f.stack, instruction);
                    case Lua.OP_SETTABLE -> checkStore(f.rk(instruction >>> 6 & 0xFF), f, instruction);
                    case Lua.OP_SETTABUP -> checkStore(f.upvalue(instruction >>> 6 & 0xFF), f, instruction);
                    case Lua.OP_SETLIST -> checkSetList(f.stack, instruction, top);
                    default -> {
                    }
                }
            }
        }
    }

    @Override
    public String traceback(int level) {
        return "";
    }

    // ------------------------------------------------------------------ ExecutionGuard

    @Override
    public void checkDeadline() {
        if (tripped != null) {
            throw tripped;
        }
        if (running) {
            checkTime(System.nanoTime());
        }
    }

    @Override
    public void chargeInstructions(long count) {
        if (tripped != null) {
            throw tripped;
        }
        if (running && count > 0) {
            instructions += count;
            if (instructions >= nextCheck) {
                checkpoint();
            }
        }
    }

    @Override
    public void checkStringLength(long bytes) {
        if (bytes > limits.maxStringBytes()) {
            throw trip(BudgetExceededError.of(FailureKind.STRING_LIMIT, "string length", bytes,
                    limits.maxStringBytes(), KEY_STRING));
        }
        if (bytes >= LARGE_STRING_BYTES && running && measureAllocation) {
            // a few instructions can allocate megabytes here: do not wait for the next checkpoint,
            // but settle at most once per quarter of the memory limit that libraries announce
            // (gsub announces its growing result again and again)
            largeStringBytes += bytes;
            if (largeStringBytes >= limits.maxMemoryBytes() / 4) {
                largeStringBytes = 0;
                settleAllocation(frames());
                if (allocated - allocationJudged > limits.maxMemoryBytes()) {
                    checkLiveHeap();
                }
            }
        }
    }

    @Override
    public void checkTableSize(long entries) {
        if (entries > limits.maxTableEntries()) {
            throw trip(BudgetExceededError.of(FailureKind.TABLE_LIMIT, "table size", entries,
                    limits.maxTableEntries(), KEY_TABLE));
        }
    }

    @Override
    public long maxStringBytes() {
        return limits.maxStringBytes();
    }

    @Override
    public long maxTableEntries() {
        return limits.maxTableEntries();
    }

    // ------------------------------------------------------------------ checks

    private void checkpoint() {
        if (tripped != null) {
            throw tripped;
        }
        if (!running) {
            nextCheck = Long.MAX_VALUE;
            return;
        }
        if (instructions > limits.maxInstructions()) {
            throw trip(BudgetExceededError.of(FailureKind.INSTRUCTION_LIMIT, "instructions", instructions,
                    limits.maxInstructions(), KEY_INSTRUCTIONS));
        }
        checkTime(System.nanoTime());
        if (measureAllocation) {
            settleAllocation(frames());
            if (allocated - allocationJudged > limits.maxMemoryBytes()) {
                checkLiveHeap();
            }
        }
        nextCheck = Math.min(instructions + CHECK_INTERVAL, saturatedIncrement(limits.maxInstructions()));
    }

    private void checkTime(long now) {
        if (now - deadline > 0) {
            BudgetExceededError e = eventDeadlineFirst
                    ? BudgetExceededError.of(FailureKind.TIME_LIMIT, "execution time in ms",
                            (now - eventStart) / 1_000_000L, limits.maxExecutionMs(), KEY_EXECUTION_TIME)
                    : BudgetExceededError.of(FailureKind.TIME_LIMIT, "script execution time in ms",
                            (now - runStart) / 1_000_000L, limits.scriptTimeoutMs(), KEY_SCRIPT_TIMEOUT);
            throw trip(e);
        }
    }

    private void checkConcat(LuaValue[] stack, int instruction) {
        int b = (instruction >>> 23) & 0x1FF;
        int c = (instruction >>> 14) & 0x1FF;
        long total = 0;
        for (int r = b; r <= c && r < stack.length; r++) {
            LuaValue value = stack[r];
            if (value instanceof LuaString s) {
                total += s.m_length;
            } else if (value.type() == LuaValue.TNUMBER) {
                total += NUMBER_TEXT_BYTES;
            } else {
                return; // a __concat metamethod decides; its own code is budgeted
            }
        }
        checkStringLength(total);
    }

    /** {@code SETTABLE}/{@code SETTABUP}: {@code table[RK(B)] = RK(C)} may add one entry. */
    private void checkStore(LuaValue table, CallFrames f, int instruction) {
        if (table instanceof LuaTable t && !(table instanceof ReadOnlyTable)) {
            long after = tableEntries.afterStore(t, f.rk(instruction >>> 23 & 0x1FF),
                    f.rk(instruction >>> 14 & 0x1FF), limits.maxTableEntries());
            if (after > 0) {
                checkTableSize(after);
            }
        }
    }

    /** {@code SETLIST A B C}: a table constructor stores B values (B = 0: up to the top of the stack). */
    private void checkSetList(LuaValue[] stack, int instruction, int top) {
        int a = instruction >>> 6 & 0xFF;
        if (stack == null || a >= stack.length || !(stack[a] instanceof LuaTable t)) {
            return;
        }
        int b = instruction >>> 23 & 0x1FF;
        long added = b != 0 ? b : (long) top - a - 1;
        long after = tableEntries.afterAdding(t, added, limits.maxTableEntries());
        if (after > 0) {
            checkTableSize(after);
        }
    }

    /**
     * The run has allocated another {@code resource-limits.max-memory} bytes: garbage (boxed
     * numbers, temporary strings) or data it keeps. Which one is told by the heap the worker
     * still had in use after the garbage collector's most recent run, compared with the same
     * figure when the run started: when it grew by more than the limit, the run fails; otherwise the allocation is taken for garbage and the next
     * {@code max-memory} bytes the run allocates are judged again. A run that builds live data
     * makes the worker's small heap ({@code workers.heap-bytes}) collect long before that, so
     * it is caught within about twice the limit of allocation; {@code -Xmx} with
     * {@code -XX:+ExitOnOutOfMemoryError} remains the hard backstop.
     */
    private void checkLiveHeap() {
        long growth = LiveHeap.bytesAfterLastCollection() - liveAtStart;
        if (growth > limits.maxMemoryBytes()) {
            throw trip(BudgetExceededError.of(FailureKind.MEMORY_LIMIT, "live heap growth in bytes", growth,
                    limits.maxMemoryBytes(), KEY_MEMORY));
        }
        allocationJudged = allocated;
    }

    private void settleAllocation(CallFrames f) {
        if (!measureAllocation) {
            return;
        }
        long now = THREADS.getCurrentThreadAllocatedBytes();
        if (now >= f.allocationMark) {
            allocated += now - f.allocationMark;
        }
        f.allocationMark = now;
    }

    private BudgetExceededError trip(BudgetExceededError e) {
        if (running) {
            tripped = e;
            nextCheck = 0;
        }
        return e;
    }

    private CallFrames frames() {
        LuaThread thread = globals.running;
        if (thread.callstack instanceof CallFrames f) {
            return f;
        }
        return startCoroutine(thread);
    }

    /** First call on a coroutine's own Java thread: give it a call stack, and count it. */
    private CallFrames startCoroutine(LuaThread thread) {
        if (running && coroutineFrames.size() >= limits.maxCoroutines()) {
            throw new LuaError("too many coroutines running in one script run (the maximum allowed is "
                    + limits.maxCoroutines() + ", from '" + KEY_COROUTINES + "')");
        }
        CallFrames f = new CallFrames(Thread.currentThread(), limits.maxCallDepth(), allocatedNow());
        thread.callstack = f;
        if (thread.errorfunc == null) {
            thread.errorfunc = ERROR_FORMAT;
        }
        coroutineFrames.add(f);
        return f;
    }

    private long allocatedNow() {
        return measureAllocation ? THREADS.getCurrentThreadAllocatedBytes() : 0;
    }

    private static long saturatedIncrement(long value) {
        return value == Long.MAX_VALUE ? value : value + 1;
    }

    /** The guard used by shared library functions outside any script run: the default limits. */
    private static final class Fallback {
        static final ExecutionGuard GUARD = new ExecutionGuard() {
            private final RunLimits defaults = RunLimits.defaults();

            @Override
            public void checkDeadline() {
            }

            @Override
            public void checkStringLength(long bytes) {
                if (bytes > defaults.maxStringBytes()) {
                    throw BudgetExceededError.of(FailureKind.STRING_LIMIT, "string length", bytes,
                            defaults.maxStringBytes(), KEY_STRING);
                }
            }

            @Override
            public void checkTableSize(long entries) {
                if (entries > defaults.maxTableEntries()) {
                    throw BudgetExceededError.of(FailureKind.TABLE_LIMIT, "table size", entries,
                            defaults.maxTableEntries(), KEY_TABLE);
                }
            }

            @Override
            public long maxStringBytes() {
                return defaults.maxStringBytes();
            }

            @Override
            public long maxTableEntries() {
                return defaults.maxTableEntries();
            }
        };
    }
}
