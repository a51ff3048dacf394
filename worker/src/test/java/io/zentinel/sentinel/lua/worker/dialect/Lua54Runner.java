package io.zentinel.sentinel.lua.worker.dialect;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.nio.charset.StandardCharsets;

import io.zentinel.sentinel.lua.worker.sandbox.RunLimits;
import io.zentinel.sentinel.lua.worker.sandbox.RunOutcome;
import io.zentinel.sentinel.lua.worker.sandbox.Sandbox;
import io.zentinel.sentinel.lua.worker.sandbox.SandboxFactory;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;

/** Runs Lua 5.4 chunks as script {@code test.lua} in a fresh sandbox, compiled as scripts are. */
final class Lua54Runner {
    private final Sandbox sandbox;

    Lua54Runner() {
        this(RunLimits.defaults());
    }

    Lua54Runner(RunLimits limits) {
        sandbox = new SandboxFactory(limits).create();
    }

    RunOutcome run(String source) {
        LuaTable env = sandbox.newScriptEnv();
        var chunk = ChunkCompiler.INSTANCE.compile(source.getBytes(StandardCharsets.UTF_8), "test.lua");
        return sandbox.run("test.lua", env, sandbox.bind(chunk, env), LuaValue.NONE);
    }

    Varargs values(String source) {
        RunOutcome outcome = run(source);
        if (outcome instanceof RunOutcome.Failed f) {
            throw new AssertionError("expected the run to complete, but it failed: " + f.message());
        }
        return ((RunOutcome.Completed) outcome).values();
    }

    /** The first result of {@code return <expression>}, through {@code tostring}. */
    String eval(String expression) {
        return values("return tostring(" + expression + ")").arg1().tojstring();
    }

    /** The message of the error that {@code source} fails with. */
    String failure(String source) {
        RunOutcome outcome = run(source);
        return assertInstanceOf(RunOutcome.Failed.class, outcome, () -> "expected a failure but got " + outcome)
                .message();
    }
}
