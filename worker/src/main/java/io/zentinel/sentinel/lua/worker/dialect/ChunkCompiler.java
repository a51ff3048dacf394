package io.zentinel.sentinel.lua.worker.dialect;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

import org.luaj.vm2.Globals;
import org.luaj.vm2.Lua;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.Prototype;
import org.luaj.vm2.Upvaldesc;
import org.luaj.vm2.compiler.LuaC;

/**
 * Compiles Lua 5.4 source for LuaJ: {@link SourceTranslation} first, then LuaC. Errors of both
 * steps are a {@link LuaError} with LuaC's message shape, {@code [string "name"]:line: reason},
 * so callers see one kind of compile error.
 *
 * <p>The prototype returned is the script's chunk. When the translation calls the operator
 * functions it has an upvalue named {@value Lua54Operators#UPVALUE}, which whoever makes the
 * closure must set to the table of {@link Lua54Operators} ({@link #isOperators(Upvaldesc)});
 * every other upvalue of such a chunk is its {@code _ENV}.
 *
 * <p>Stateless and thread-safe.
 */
public final class ChunkCompiler implements Globals.Compiler {
    public static final ChunkCompiler INSTANCE = new ChunkCompiler();

    private static final LuaString OPERATORS = LuaString.valueOf(Lua54Operators.UPVALUE);

    private ChunkCompiler() {
    }

    @Override
    public Prototype compile(InputStream stream, String chunkname) throws IOException {
        return compile(stream.readAllBytes(), chunkname);
    }

    /**
     * The chunk of {@code source}, named {@code chunkname} in error messages and tracebacks.
     *
     * @throws LuaError a compile error, or Lua 5.4 that is not supported
     */
    public Prototype compile(byte[] source, String chunkname) {
        SourceTranslation.Result translated;
        try {
            translated = SourceTranslation.translate(source);
        } catch (DialectException e) {
            throw new LuaError(Lua.chunkid(chunkname) + ":" + e.line() + ": " + e.reason());
        }
        Prototype main;
        try {
            main = LuaC.instance.compile(new ByteArrayInputStream(translated.source()), chunkname);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return translated.wrapped() ? main.p[0] : main;
    }

    /** Whether {@code upvalue} is the one through which a translated chunk reaches {@link Lua54Operators}. */
    public static boolean isOperators(Upvaldesc upvalue) {
        return upvalue.name != null && upvalue.name.raweq(OPERATORS);
    }
}
