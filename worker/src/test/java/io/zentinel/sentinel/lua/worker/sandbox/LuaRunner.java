package io.zentinel.sentinel.lua.worker.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

import io.zentinel.sentinel.lua.protocol.v1.FailureKind;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Prototype;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.compiler.LuaC;

/** Runs Lua chunks in a fresh {@link Sandbox}, each in a new script environment, as script {@code test.lua}. */
final class LuaRunner {
    final Sandbox sandbox;

    LuaRunner(RunLimits limits) {
        this.sandbox = new SandboxFactory(limits).create();
    }

    LuaRunner() {
        this(RunLimits.defaults());
    }

    static Prototype compile(String source, String name) {
        try {
            return LuaC.instance.compile(new ByteArrayInputStream(source.getBytes(StandardCharsets.UTF_8)), name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    RunOutcome run(String source) {
        return run(source, sandbox.newScriptEnv());
    }

    RunOutcome run(String source, LuaTable env) {
        return sandbox.run("test.lua", env, sandbox.bind(compile(source, "test.lua"), env), LuaValue.NONE);
    }

    /** Runs the chunk and returns its results; fails the test when the run failed. */
    Varargs values(String source) {
        RunOutcome outcome = run(source);
        if (outcome instanceof RunOutcome.Failed f) {
            throw new AssertionError("expected the run to complete, but it failed: " + f.kind() + " " + f.message());
        }
        return ((RunOutcome.Completed) outcome).values();
    }

    /** Runs the chunk and returns its first result as Java text. */
    String text(String source) {
        return values(source).arg1().tojstring();
    }

    /** Runs the chunk, expects it to fail with {@code kind}, and returns the message. */
    String failure(FailureKind kind, String source) {
        RunOutcome outcome = run(source);
        RunOutcome.Failed failed = assertInstanceOf(RunOutcome.Failed.class, outcome,
                () -> "expected a failure but got " + outcome);
        assertEquals(kind, failed.kind(), failed::message);
        return failed.message();
    }
}
