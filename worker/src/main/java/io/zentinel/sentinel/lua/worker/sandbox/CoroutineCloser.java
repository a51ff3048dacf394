package io.zentinel.sentinel.lua.worker.sandbox;

import java.lang.ref.WeakReference;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.Map;
import java.util.WeakHashMap;

import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaThread;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;

/**
 * Lua 5.4's {@code coroutine.close}, which LuaJ 3.0.1 lacks, for one Lua VM.
 *
 * <p>A suspended coroutine of LuaJ waits on its own Java thread inside {@code yield}. Closing it
 * clears the coroutine's reference that LuaJ's yield checks whenever it wakes, and wakes it: LuaJ
 * then ends the coroutine as it ends one that was garbage-collected, by unwinding its Java thread
 * ({@code OrphanedThread}, an {@link Error} that no {@code pcall} catches). {@link #close} waits
 * for that thread to finish, so that it never runs beside the script that closed it.
 *
 * <p>A coroutine that died of an error keeps that error for {@code close}, as in Lua 5.4:
 * {@link #resume} remembers it, which LuaJ does not. Used from the VM's thread and its coroutines'
 * threads, one at a time (a coroutine runs only while its resumer waits).
 */
final class CoroutineCloser {
    /** How long {@code close} waits for a closed coroutine's thread to unwind. */
    static final long UNWIND_MILLIS = 1_000;

    private static final Field LUA_THREAD = luaThreadField();

    /** The error each coroutine died of, until it is closed. */
    private final Map<LuaThread, LuaValue> deathErrors = new WeakHashMap<>();

    /** {@code coroutine.resume} through {@code resume}, remembering the error a coroutine dies of. */
    Varargs resume(LuaValue resume, Varargs args) {
        LuaValue target = args.arg1();
        boolean alive = target instanceof LuaThread co && co.state.status != LuaThread.STATUS_DEAD;
        Varargs result = resume.invoke(args);
        if (alive && !result.arg1().toboolean() && ((LuaThread) target).state.status == LuaThread.STATUS_DEAD) {
            deathErrors.put((LuaThread) target, result.arg(2));
        }
        return result;
    }

    /**
     * {@code coroutine.close(co)}: {@code true}, or {@code false} and the error {@code co} died of;
     * a running or normal coroutine cannot be closed.
     */
    Varargs close(Varargs args) {
        if (!(args.arg1() instanceof LuaThread co)) {
            throw LuaArgs.typeError(args, 1, "coroutine.close", "thread");
        }
        LuaThread.State state = co.state;
        int status = state.status;
        if (status == LuaThread.STATUS_RUNNING || status == LuaThread.STATUS_NORMAL) {
            // checked before locking: a coroutine's thread holds its state's monitor while it runs
            throw cannotClose(co);
        }
        boolean unwinding = false;
        synchronized (state) {
            switch (state.status) {
                case LuaThread.STATUS_INITIAL -> state.status = LuaThread.STATUS_DEAD;
                case LuaThread.STATUS_SUSPENDED -> {
                    orphan(state);
                    state.status = LuaThread.STATUS_DEAD;
                    state.notifyAll();
                    unwinding = true;
                }
                case LuaThread.STATUS_DEAD -> {
                    // nothing to end
                }
                default -> throw cannotClose(co);
            }
        }
        if (unwinding && co.callstack instanceof CallFrames frames) {
            awaitUnwound(frames.thread);
        }
        LuaValue error = deathErrors.remove(co);
        return error == null ? LuaValue.TRUE : LuaValue.varargsOf(LuaValue.FALSE, error);
    }

    private static LuaError cannotClose(LuaThread co) {
        return new LuaError("cannot close a " + co.getStatus() + " coroutine");
    }

    private static void awaitUnwound(Thread thread) {
        try {
            if (!thread.join(Duration.ofMillis(UNWIND_MILLIS))) {
                throw new LuaError("coroutine.close: the coroutine did not end within " + UNWIND_MILLIS + " ms");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LuaError("coroutine.close: interrupted while the coroutine ended");
        }
    }

    private static void orphan(LuaThread.State state) {
        try {
            ((WeakReference<?>) LUA_THREAD.get(state)).clear();
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("LuaThread.State.lua_thread is not accessible", e);
        }
    }

    private static Field luaThreadField() {
        try {
            Field field = LuaThread.State.class.getDeclaredField("lua_thread");
            field.setAccessible(true);
            return field;
        } catch (NoSuchFieldException e) {
            throw new IllegalStateException("this LuaJ has no LuaThread.State.lua_thread: coroutine.close needs 3.0.1", e);
        }
    }
}
