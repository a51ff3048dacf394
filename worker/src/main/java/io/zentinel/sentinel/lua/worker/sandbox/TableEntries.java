package io.zentinel.sentinel.lua.worker.sandbox;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;

/**
 * Counts the entries of a {@code LuaTable} for the table size limit
 * ({@code resource-limits.max-table-entries}), cheaply enough to run before every table store.
 *
 * <p>LuaJ 3.0.1 has no hook on table growth, so the budget looks at the table an instruction is
 * about to store into. The capacity of a table (its array part plus its hash part; LuaJ rehashes
 * before the hash part holds more entries than it has slots) bounds its entry count from above
 * and costs two field reads. Only when that bound allows the store to pass the limit are the
 * entries counted exactly (the non-nil array slots, plus LuaJ's count of hash entries): a cost
 * linear in the table's size, paid only by tables whose capacity is already past the limit.
 *
 * <p>The fields are LuaJ's protected {@code array}, {@code hash} and {@code hashEntries}, read
 * through a private lookup (LuaJ and the worker share the class path's unnamed module).
 */
final class TableEntries {
    private static final VarHandle ARRAY;
    private static final VarHandle HASH;
    private static final VarHandle HASH_ENTRIES;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(LuaTable.class, MethodHandles.lookup());
            ARRAY = lookup.findVarHandle(LuaTable.class, "array", LuaValue[].class);
            HASH = lookup.findVarHandle(LuaTable.class, "hash",
                    Class.forName("org.luaj.vm2.LuaTable$Slot").arrayType());
            HASH_ENTRIES = lookup.findVarHandle(LuaTable.class, "hashEntries", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The table counted last, its capacity then and an upper bound of its entries since. */
    private LuaTable last;
    private long lastCapacity;
    private long lastUpperBound;

    /** Array slots plus hash slots: never less than the number of entries. */
    static long capacity(LuaTable table) {
        LuaValue[] array = (LuaValue[]) ARRAY.get(table);
        Object[] hash = (Object[]) HASH.get(table);
        return (long) array.length + hash.length;
    }

    /** The exact number of entries (non-nil values); linear in the table's capacity. */
    static long count(LuaTable table) {
        LuaValue[] array = (LuaValue[]) ARRAY.get(table);
        long n = 0;
        for (LuaValue v : array) {
            if (v != null && !v.isnil()) {
                n++;
            }
        }
        return n + (int) HASH_ENTRIES.get(table);
    }

    /**
     * Checks that storing {@code value} under {@code key} keeps {@code table} within
     * {@code max} entries. A store that replaces or removes an entry, or that a
     * {@code __newindex} metamethod takes over, adds nothing.
     *
     * @return the entry count the store would reach, or -1 when it stays within the limit
     */
    long afterStore(LuaTable table, LuaValue key, LuaValue value, long max) {
        if (value == null || value.isnil() || key == null || key.isnil()) {
            return -1;
        }
        long capacity = capacity(table);
        if (capacity + 1 <= max || !table.rawget(key).isnil()) {
            return -1;
        }
        LuaValue meta = table.getmetatable();
        if (meta != null && !meta.rawget(LuaValue.NEWINDEX).isnil()) {
            return -1;
        }
        return after(table, capacity, 1, max);
    }

    /**
     * Checks that adding up to {@code added} entries (a table constructor's {@code SETLIST})
     * keeps {@code table} within {@code max} entries.
     *
     * @return the entry count the store could reach, or -1 when it stays within the limit
     */
    long afterAdding(LuaTable table, long added, long max) {
        if (added <= 0) {
            return -1;
        }
        long capacity = capacity(table);
        if (capacity + added <= max) {
            return -1;
        }
        return after(table, capacity, added, max);
    }

    /** Forgets the remembered count (at the start of a run). */
    void clear() {
        last = null;
    }

    /**
     * The exact count is linear in the table's size; a table filled one store at a time would
     * pay it on every store. So the count of the table stored into last is remembered as an
     * upper bound and raised by each store (whether or not the store then added an entry), as
     * long as the table's capacity stays the same; only when that bound would pass the limit
     * is the table counted again.
     */
    private long after(LuaTable table, long capacity, long added, long max) {
        long before;
        if (table == last && capacity == lastCapacity && lastUpperBound + added <= max) {
            before = lastUpperBound;
        } else {
            before = count(table);
        }
        long after = before + added;
        if (after > max) {
            last = null;
            return after;
        }
        last = table;
        lastCapacity = capacity;
        lastUpperBound = after;
        return -1;
    }
}
