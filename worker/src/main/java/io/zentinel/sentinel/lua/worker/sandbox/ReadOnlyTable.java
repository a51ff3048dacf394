package io.zentinel.sentinel.lua.worker.sandbox;

import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;

/**
 * A Lua table that scripts can read but never change: every write, raw or not, {@code insert},
 * {@code remove}, {@code sort} and {@code setmetatable} raise the Lua error
 * {@value #MESSAGE}. Library tables, the shared string metatable and the metatables of the
 * request and response objects are read-only, so that no script can change what another script
 * (or the next event) sees.
 *
 * <p>The contents are copied from a source table when the table is built; the copy is shallow
 * (nested tables must be read-only themselves if they matter). Reading is as fast as for a
 * plain {@link LuaTable}. Safe to share between threads once built: nothing writes to it.
 */
public final class ReadOnlyTable extends LuaTable {

    /** The error message of every refused write. */
    public static final String MESSAGE = "table is read-only";

    private final boolean sealed;

    /** A read-only copy of {@code source} (its metatable is not copied). */
    public ReadOnlyTable(LuaTable source) {
        this(source, null);
    }

    /** A read-only copy of {@code source} with {@code metatable}, which should be read-only itself. */
    public ReadOnlyTable(LuaTable source, LuaTable metatable) {
        super(0, Math.max(1, source.keyCount()));
        LuaValue k = LuaValue.NIL;
        while (true) {
            Varargs next = source.next(k);
            k = next.arg1();
            if (k.isnil()) {
                break;
            }
            super.rawset(k, next.arg(2));
        }
        if (metatable != null) {
            super.setmetatable(metatable);
        }
        this.sealed = true;
    }

    /** A read-only table holding the key/value pairs given as alternating arguments. */
    public static ReadOnlyTable of(Object... keysAndValues) {
        LuaTable t = new LuaTable();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            t.rawset(LuaValue.valueOf((String) keysAndValues[i]), (LuaValue) keysAndValues[i + 1]);
        }
        return new ReadOnlyTable(t);
    }

    private static LuaError readOnly() {
        return new LuaError(MESSAGE);
    }

    private void refuse() {
        if (sealed) {
            throw readOnly();
        }
    }

    @Override
    public void set(int key, LuaValue value) {
        refuse();
        super.set(key, value);
    }

    @Override
    public void set(LuaValue key, LuaValue value) {
        refuse();
        super.set(key, value);
    }

    @Override
    public void rawset(int key, LuaValue value) {
        refuse();
        super.rawset(key, value);
    }

    @Override
    public void rawset(LuaValue key, LuaValue value) {
        refuse();
        super.rawset(key, value);
    }

    @Override
    public void hashset(LuaValue key, LuaValue value) {
        refuse();
        super.hashset(key, value);
    }

    @Override
    public LuaValue setmetatable(LuaValue metatable) {
        refuse();
        return super.setmetatable(metatable);
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
    public void sort(LuaValue comparator) {
        throw readOnly();
    }

    @Override
    public void presize(int narray) {
        refuse();
        super.presize(narray);
    }

    @Override
    public void presize(int narray, int nhash) {
        refuse();
        super.presize(narray, nhash);
    }
}
