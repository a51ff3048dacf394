package io.zentinel.sentinel.lua.worker.lua;

import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;

/**
 * {@code request.headers} / {@code response.headers}: lower-case name to the header's values
 * joined with {@code ", "}, filled only when a script does more than look names up.
 *
 * <p>Most scripts read one or two headers by name. A lookup of a string key reads the call's
 * headers directly ({@link HeaderView#joined}); anything else (iterating with {@code pairs},
 * storing, the length, the table library, the sandbox's table-size check) first fills the table
 * with every header, as an ordinary table built at once would hold them. So building 20 headers
 * into a Lua table, about 3 µs per call, is paid only by scripts that list them.
 *
 * <p>The table shows the headers as they were when it was made: before a script changes a
 * header, the view fills the table it handed out ({@link HeaderView#table}).
 */
final class HeaderTable extends LuaTable {
    /** Joins the values of a header. */
    static final LuaString SEPARATOR = LuaString.valueOf(", ");

    private final HeaderView view;
    private boolean filled;
    private boolean storedInto;

    HeaderTable(HeaderView view, LuaTable caseInsensitive) {
        super(0, 0);
        this.view = view;
        setmetatable(caseInsensitive);
    }

    /** A script stored into the table, so it no longer only shows the headers. */
    boolean storedInto() {
        return storedInto;
    }

    private void store() {
        fill();
        storedInto = true;
    }

    /** Stores every header; later calls do nothing. */
    void fill() {
        if (filled) {
            return;
        }
        filled = true;
        presize(0, view.sizeHint());
        view.forEachJoined((key, value) -> {
            LuaValue earlier = super.rawget(key);
            super.rawset(key, earlier.isnil() ? value : earlier.concat(SEPARATOR).concat(value));
        });
    }

    @Override
    public LuaValue rawget(LuaValue key) {
        if (filled) {
            return super.rawget(key);
        }
        if (!key.isstring() || key.isnumber()) {
            fill();
            return super.rawget(key);
        }
        LuaString value = view.joined(key.tojstring());
        return value == null ? NIL : value;
    }

    // Everything else sees the whole table.

    @Override
    public LuaValue rawget(int key) {
        fill();
        return super.rawget(key);
    }

    @Override
    public LuaValue get(int key) {
        fill();
        return super.get(key);
    }

    @Override
    protected LuaValue hashget(LuaValue key) {
        fill();
        return super.hashget(key);
    }

    @Override
    public void set(int key, LuaValue value) {
        store();
        super.set(key, value);
    }

    @Override
    public void set(LuaValue key, LuaValue value) {
        store();
        super.set(key, value);
    }

    @Override
    public void rawset(int key, LuaValue value) {
        store();
        super.rawset(key, value);
    }

    @Override
    public void rawset(LuaValue key, LuaValue value) {
        store();
        super.rawset(key, value);
    }

    @Override
    public void hashset(LuaValue key, LuaValue value) {
        fill();
        super.hashset(key, value);
    }

    @Override
    public LuaValue remove(int pos) {
        store();
        return super.remove(pos);
    }

    @Override
    public void insert(int pos, LuaValue value) {
        store();
        super.insert(pos, value);
    }

    @Override
    public LuaValue concat(LuaString sep, int i, int j) {
        fill();
        return super.concat(sep, i, j);
    }

    @Override
    public int length() {
        fill();
        return super.length();
    }

    @Override
    public LuaValue len() {
        fill();
        return super.len();
    }

    @Override
    public int rawlen() {
        fill();
        return super.rawlen();
    }

    @Override
    public Varargs next(LuaValue key) {
        fill();
        return super.next(key);
    }

    @Override
    public Varargs inext(LuaValue key) {
        fill();
        return super.inext(key);
    }

    @Override
    public void sort(LuaValue comparator) {
        store();
        super.sort(comparator);
    }

    @Override
    public int keyCount() {
        fill();
        return super.keyCount();
    }

    @Override
    public LuaValue[] keys() {
        fill();
        return super.keys();
    }

    @Override
    public Varargs unpack() {
        fill();
        return super.unpack();
    }

    @Override
    public Varargs unpack(int i) {
        fill();
        return super.unpack(i);
    }

    @Override
    public Varargs unpack(int i, int j) {
        fill();
        return super.unpack(i, j);
    }

    @Override
    protected int getArrayLength() {
        fill();
        return super.getArrayLength();
    }

    @Override
    protected int getHashLength() {
        fill();
        return super.getHashLength();
    }
}
