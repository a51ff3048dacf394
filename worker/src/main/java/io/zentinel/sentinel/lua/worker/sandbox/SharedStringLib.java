package io.zentinel.sentinel.lua.worker.sandbox;

import org.luaj.vm2.Globals;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.PackageLib;
import org.luaj.vm2.lib.StringLib;

/**
 * The {@code string} library, once per JVM, read-only, and the string metatable that points to it.
 *
 * <p>LuaJ keeps the metatable of all strings in the static {@code LuaString.s_metatable}, so
 * {@code ("x"):upper()} finds the same table in every {@code Globals} of the JVM. A writable
 * table there would let one script change what every other script's string methods do; so the
 * table and the metatable are {@link ReadOnlyTable}s, and every VM's {@code string} global is
 * this same table.
 *
 * <p>Changes against LuaJ's {@code StringLib}: {@code string.dump} is absent (no bytecode out);
 * {@code rep}, {@code format} and {@code byte} are the capped versions of {@link GuardedStrings},
 * and {@code format} is Lua 5.4's; {@code find}, {@code match}, {@code gmatch} and {@code gsub} are
 * {@link PatternFunctions}, whose matcher counts toward the instruction and time limits (LuaJ's
 * runs unchecked in Java); {@code pack}, {@code unpack} and {@code packsize} are Lua 5.4's
 * ({@link StringPack}). Because the functions are shared by every VM, they find the limits of
 * the current script run through {@link InstructionBudget#current()}.
 */
public final class SharedStringLib {

    private SharedStringLib() {
    }

    private static final class Holder {
        static final ReadOnlyTable STRING;
        static final ReadOnlyTable METATABLE;

        static {
            Globals boot = new Globals();
            boot.load(new PackageLib());
            boot.load(new StringLib());
            LuaTable original = (LuaTable) boot.get("string");
            LuaTable copy = new LuaTable();
            LuaValue k = LuaValue.NIL;
            while (true) {
                Varargs next = original.next(k);
                k = next.arg1();
                if (k.isnil()) {
                    break;
                }
                copy.rawset(k, next.arg(2));
            }
            copy.rawset("dump", LuaValue.NIL);
            GuardedStrings guarded = new GuardedStrings(original);
            copy.rawset("rep", guarded.rep());
            copy.rawset("format", guarded.format());
            copy.rawset("byte", guarded.bytes());
            copy.rawset("find", PatternFunctions.find());
            copy.rawset("match", PatternFunctions.match());
            copy.rawset("gmatch", PatternFunctions.gmatch());
            copy.rawset("gsub", PatternFunctions.gsub());
            copy.rawset("pack", StringPack.pack());
            copy.rawset("unpack", StringPack.unpack());
            copy.rawset("packsize", StringPack.packsize());
            STRING = new ReadOnlyTable(copy);
            METATABLE = ReadOnlyTable.of("__index", STRING);
            LuaString.s_metatable = METATABLE;
        }
    }

    /**
     * Installs the read-only string metatable (again, should anything have replaced it) and
     * returns the shared {@code string} table.
     */
    public static ReadOnlyTable install() {
        if (LuaString.s_metatable != Holder.METATABLE) {
            LuaString.s_metatable = Holder.METATABLE;
        }
        return Holder.STRING;
    }

    /** The metatable of every string. */
    public static ReadOnlyTable metatable() {
        install();
        return Holder.METATABLE;
    }
}
