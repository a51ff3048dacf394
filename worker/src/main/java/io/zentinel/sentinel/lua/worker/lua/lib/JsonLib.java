package io.zentinel.sentinel.lua.worker.lua.lib;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import io.zentinel.sentinel.lua.worker.sandbox.ExecutionGuard;
import io.zentinel.sentinel.lua.worker.sandbox.LuaArgs;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaUserdata;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;

/**
 * The Lua {@code json} module: {@code json.decode}, {@code json.encode}, {@code json.encode_pretty},
 * the sentinels {@code json.null} and {@code json.empty_array}, and {@code json.as_array}.
 *
 * <p>Decoding streams through jackson-core with tight {@link StreamReadConstraints}; encoding
 * writes UTF-8 bytes directly. Errors are {@link LuaError}s (a script can {@code pcall} them);
 * only the guard's own limits (table size, string length, deadline) raise its
 * {@code BudgetExceededError}. See docs/lua-stdlib.md for the mapping rules.
 */
public final class JsonLib extends LuaModule {

    /** Default deepest nesting of arrays and objects, for both decode and encode. */
    public static final int DEFAULT_MAX_DEPTH = 64;
    /** Upper bound for {@code maxDepth}: the encoder and decoder recurse once per level. */
    public static final int MAX_DEPTH_LIMIT = 1000;

    private final int maxDepth;
    private final long maxDocumentBytes;
    private final JsonFactory factory;
    private final LuaUserdata nullValue;
    private final LuaUserdata emptyArray;
    private final LuaTable arrayMarker;

    /** A module with {@link #DEFAULT_MAX_DEPTH} and the guard's string limit as the document limit. */
    public JsonLib(ExecutionGuard guard) {
        this(guard, DEFAULT_MAX_DEPTH, guard.maxStringBytes());
    }

    /**
     * @param maxDepth deepest nesting of arrays/objects, 1..{@value #MAX_DEPTH_LIMIT}
     * @param maxDocumentBytes largest input {@code json.decode} accepts, in bytes (>= 1)
     */
    public JsonLib(ExecutionGuard guard, int maxDepth, long maxDocumentBytes) {
        super(guard);
        if (maxDepth < 1 || maxDepth > MAX_DEPTH_LIMIT) {
            throw new IllegalArgumentException(
                    "maxDepth must be between 1 and " + MAX_DEPTH_LIMIT + " (was " + maxDepth + ")");
        }
        if (maxDocumentBytes < 1) {
            throw new IllegalArgumentException("maxDocumentBytes must be >= 1 (was " + maxDocumentBytes + ")");
        }
        this.maxDepth = maxDepth;
        this.maxDocumentBytes = maxDocumentBytes;
        this.factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        // one more than ours: JsonDecoder reports the depth in our own words first
                        .maxNestingDepth(maxDepth + 1)
                        .maxStringLength((int) Math.min(Integer.MAX_VALUE, guard.maxStringBytes()))
                        .maxNameLength((int) Math.min(Integer.MAX_VALUE, guard.maxStringBytes()))
                        .maxDocumentLength(maxDocumentBytes)
                        .build())
                .build();
        this.nullValue = sentinel("json.null");
        this.emptyArray = sentinel("json.empty_array");
        this.arrayMarker = new ArrayMarker();
    }

    @Override
    public String moduleName() {
        return "json";
    }

    @Override
    void define(LuaTable module) {
        function(module, "decode", this::decode);
        function(module, "encode", args -> encode(args, false, "json.encode"));
        function(module, "encode_pretty", args -> encode(args, true, "json.encode_pretty"));
        function(module, "as_array", this::asArray);
        module.rawset("null", nullValue);
        module.rawset("empty_array", emptyArray);
    }

    private Varargs decode(Varargs args) {
        var text = LuaArgs.string(args, 1, "json.decode");
        return new JsonDecoder(factory, guard, maxDepth, maxDocumentBytes, nullValue, arrayMarker).decode(text);
    }

    private Varargs encode(Varargs args, boolean pretty, String fn) {
        if (args.narg() < 1) {
            throw LuaArgs.argError(1, fn, "value expected");
        }
        return new JsonEncoder(guard, maxDepth, pretty, fn, nullValue, emptyArray, arrayMarker).encode(args.arg1());
    }

    private Varargs asArray(Varargs args) {
        LuaTable t = LuaArgs.table(args, 1, "json.as_array");
        t.setmetatable(arrayMarker);
        return t;
    }

    private static LuaUserdata sentinel(String name) {
        LuaTable meta = new LuaTable();
        meta.rawset("__tostring", new JavaFunction(name + ".__tostring", args -> LuaValue.valueOf(name)));
        // getmetatable() returns this string, and setmetatable() on the userdata is refused
        meta.rawset("__metatable", LuaValue.valueOf(name));
        return new LuaUserdata(new Object(), meta);
    }

    /**
     * The metatable that marks a table as a JSON array (so an empty one encodes as {@code []}).
     * Decoded arrays carry it, {@code json.as_array} sets it. It has no fields and refuses writes,
     * so one script cannot change how another script's tables behave through it.
     */
    private static final class ArrayMarker extends LuaTable {
        private static LuaError readOnly() {
            return new LuaError("the json array marker metatable is read-only");
        }

        @Override
        public void set(int key, LuaValue value) {
            throw readOnly();
        }

        @Override
        public void set(LuaValue key, LuaValue value) {
            throw readOnly();
        }

        @Override
        public void rawset(int key, LuaValue value) {
            throw readOnly();
        }

        @Override
        public void rawset(LuaValue key, LuaValue value) {
            throw readOnly();
        }

        @Override
        public void insert(int pos, LuaValue value) {
            throw readOnly();
        }

        @Override
        public LuaValue remove(int pos) {
            throw readOnly();
        }

        @Override
        public LuaValue setmetatable(LuaValue metatable) {
            throw readOnly();
        }

        @Override
        public String tojstring() {
            return "json.array_marker";
        }
    }
}
