package io.zentinel.sentinel.lua.worker.sandbox;

import java.util.Objects;

import io.zentinel.sentinel.lua.protocol.v1.FailureKind;
import io.zentinel.sentinel.lua.worker.dialect.ChunkCompiler;
import io.zentinel.sentinel.lua.worker.dialect.Lua54Operators;
import org.luaj.vm2.Globals;
import org.luaj.vm2.LuaClosure;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Prototype;
import org.luaj.vm2.UpValue;
import org.luaj.vm2.Varargs;

/**
 * One Lua VM: a {@link Globals} with the sandboxed libraries, its {@link InstructionBudget}, and
 * the read-only library environment every script environment falls back to. Built by
 * {@link SandboxFactory}.
 *
 * <p>{@link #run} is the script-run boundary: it starts the budget, calls the function, and turns
 * whatever the run throws into a {@link RunOutcome}, except {@link OutOfMemoryError} and other
 * {@link Error}s that leave the VM in an unknown state, which it rethrows so that the worker dies.
 *
 * <p>Not thread-safe: one VM belongs to one thread, as LuaJ's {@code Globals} do.
 */
public final class Sandbox {
    /** Longest failure message handed back; Lua error values can be arbitrarily long strings. */
    public static final int MAX_MESSAGE_CHARS = 2048;

    /** The Lua 5.4 operators of translated chunks: stateless functions, shared by every VM. */
    private static final ReadOnlyTable OPERATORS = new ReadOnlyTable(Lua54Operators.table());

    private final Globals globals;
    private final InstructionBudget budget;
    private LuaTable libraryEnv;
    private LuaTable envMetatable;

    private String currentScript = "";
    private LuaValue currentEnv = LuaValue.NIL;

    Sandbox(Globals globals, InstructionBudget budget) {
        this.globals = globals;
        this.budget = budget;
    }

    void useLibraryEnv(ReadOnlyTable env) {
        this.libraryEnv = env;
        this.envMetatable = ReadOnlyTable.of("__index", env, "__metatable", LuaValue.FALSE);
    }

    /** The VM's globals; scripts never see this table, only their own environments. */
    public Globals globals() {
        return globals;
    }

    public InstructionBudget budget() {
        return budget;
    }

    public RunLimits limits() {
        return budget.limits();
    }

    /** The read-only table of every library a script can use ({@code string}, {@code sentinel}, ...). */
    public LuaTable libraryEnv() {
        return libraryEnv;
    }

    /**
     * A new script environment: a table of its own for the script's globals, with {@code _G}
     * pointing to itself and a protected metatable whose {@code __index} is {@link #libraryEnv()}.
     * Globals of one script are invisible to every other script.
     */
    public LuaTable newScriptEnv() {
        LuaTable env = new LuaTable();
        env.setmetatable(envMetatable);
        env.rawset("_G", env);
        return env;
    }

    /**
     * A function running the compiled chunk {@code prototype} with {@code env} as its {@code _ENV}.
     * The closure is made for the VM's globals and its environment swapped afterwards, because
     * LuaJ calls the debug hooks (the budget) only for closures whose environment at creation is
     * a {@code Globals}. A chunk translated from Lua 5.4 ({@link ChunkCompiler}) also gets the
     * read-only table of {@link Lua54Operators}, as an upvalue no script can reach.
     */
    public LuaClosure bind(Prototype prototype, LuaValue env) {
        LuaClosure closure = new LuaClosure(prototype, globals);
        for (int i = 0; i < closure.upValues.length; i++) {
            LuaValue value = ChunkCompiler.isOperators(prototype.upvalues[i]) ? OPERATORS : env;
            closure.upValues[i] = new UpValue(new LuaValue[] {value}, 0);
        }
        return closure;
    }

    /** Name of the script whose run is in progress, {@code ""} between runs. */
    public String currentScript() {
        return currentScript;
    }

    /** Environment of the script whose run is in progress ({@code nil} between runs). */
    public LuaValue currentEnv() {
        return currentEnv;
    }

    /** Starts an event at {@code startNanos}; see {@link InstructionBudget#beginEvent(long)}. */
    public void beginEvent(long startNanos) {
        budget.beginEvent(startNanos);
    }

    public void endEvent() {
        budget.endEvent();
    }

    /**
     * Runs {@code function(args)} as one script run of {@code scriptName} under the budget.
     *
     * @param env the script's environment, the default environment of {@code load} in this run
     * @throws OutOfMemoryError and any other {@link Error} except the budget's and
     *     {@link StackOverflowError}: the worker must not continue after them
     */
    public RunOutcome run(String scriptName, LuaValue env, LuaValue function, Varargs args) {
        Objects.requireNonNull(scriptName, "scriptName");
        currentScript = scriptName;
        currentEnv = env;
        Varargs values = LuaValue.NONE;
        Throwable failure = null;
        long start = System.nanoTime();
        try {
            budget.beginRun();
            values = function.invoke(args);
        } catch (Throwable t) {
            failure = t;
        } finally {
            budget.endRun();
            currentScript = "";
            currentEnv = LuaValue.NIL;
        }
        long instructions = budget.instructions();
        long allocated = budget.allocatedBytes();
        if (failure == null) {
            return new RunOutcome.Completed(values, instructions, allocated);
        }
        long micros = (System.nanoTime() - start) / 1_000;
        return switch (failure) {
            case BudgetExceededError e -> new RunOutcome.Failed(e.kind(), e.getMessage(), instructions, allocated,
                    e.limit(), micros);
            case StackOverflowError e -> new RunOutcome.Failed(FailureKind.SCRIPT_ERROR,
                    scriptName + ": stack overflow (Java stack exhausted)", instructions, allocated, null, micros);
            case Error e -> throw e;
            case LuaError e -> new RunOutcome.Failed(FailureKind.SCRIPT_ERROR, luaMessage(e), instructions, allocated,
                    null, micros);
            default -> new RunOutcome.Failed(FailureKind.SCRIPT_ERROR,
                    cap("internal error in a library function: " + failure), instructions, allocated, null, micros);
        };
    }

    /** The message of a Lua error as a script would see it, without trailing whitespace, capped. */
    public static String luaMessage(LuaError e) {
        String message = e.getMessage();
        if (message == null) {
            LuaValue object = e.getMessageObject();
            message = object == null ? "error" : object.tojstring();
        }
        return cap(message.strip());
    }

    static String cap(String message) {
        return message.length() <= MAX_MESSAGE_CHARS ? message
                : message.substring(0, MAX_MESSAGE_CHARS) + "... (" + message.length() + " chars)";
    }
}
