package io.zentinel.sentinel.lua.worker.sandbox;

import org.luaj.vm2.LuaClosure;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.UpValue;

/**
 * The call stack of one Lua thread (the VM's main thread or one coroutine) as the
 * {@link InstructionBudget} sees it: the depth, and the bytecode and register array of each
 * frame, so that the instruction hook can look at the instruction about to run.
 *
 * <p>Kept in {@code LuaThread.callstack}, the slot LuaJ reserves for its debug library's own
 * call stack (unused here because the budget overrides every hook that would fill it). Touched
 * only by the Java thread running that Lua thread.
 */
final class CallFrames {
    /** The Java thread that runs this Lua thread: the VM thread or a coroutine's thread. */
    Thread thread;
    /** {@code getCurrentThreadAllocatedBytes()} of {@link #thread} at its last allocation check. */
    long allocationMark;
    int depth;
    /** Bytecode of the innermost frame, {@code null} while a Java function (pcall) is innermost. */
    int[] code;
    /** Registers of the innermost frame. */
    LuaValue[] stack;
    /** The innermost frame's closure (its constants and upvalues), {@code null} for a Java function. */
    LuaClosure closure;

    private final int[][] codes;
    private final LuaValue[][] stacks;
    private final LuaClosure[] closures;

    CallFrames(Thread thread, int maxDepth, long allocationMark) {
        this.thread = thread;
        this.allocationMark = allocationMark;
        this.codes = new int[maxDepth][];
        this.stacks = new LuaValue[maxDepth][];
        this.closures = new LuaClosure[maxDepth];
    }

    /** Enters a frame; refuses, before counting it, when the depth limit is reached. */
    void push(LuaClosure frameClosure, LuaValue[] frameStack) {
        if (depth >= codes.length) {
            throw new LuaError("stack overflow");
        }
        codes[depth] = code;
        stacks[depth] = stack;
        closures[depth] = closure;
        depth++;
        closure = frameClosure;
        code = frameClosure != null ? frameClosure.p.code : null;
        stack = frameStack;
    }

    /** The value of the innermost closure's upvalue {@code index}, or {@code null}. */
    LuaValue upvalue(int index) {
        UpValue[] upvalues = closure != null ? closure.upValues : null;
        return upvalues != null && index < upvalues.length && upvalues[index] != null
                ? upvalues[index].getValue() : null;
    }

    /** Register or constant operand {@code rk} of the innermost frame ({@code RK(x)} of the Lua VM). */
    LuaValue rk(int rk) {
        if ((rk & 0x100) != 0) {
            LuaValue[] k = closure != null ? closure.p.k : null;
            int i = rk & 0xFF;
            return k != null && i < k.length ? k[i] : null;
        }
        return stack != null && rk < stack.length ? stack[rk] : null;
    }

    void pop() {
        if (depth == 0) {
            return;
        }
        depth--;
        code = codes[depth];
        stack = stacks[depth];
        closure = closures[depth];
        codes[depth] = null;
        stacks[depth] = null;
        closures[depth] = null;
    }

    /** Forgets every frame (the VM's main thread, at the start of a run). */
    void clear() {
        while (depth > 0) {
            pop();
        }
        code = null;
        stack = null;
        closure = null;
    }
}
