package io.zentinel.sentinel.lua.worker.script;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.zentinel.sentinel.lua.protocol.v1.ScriptProblem;
import io.zentinel.sentinel.lua.protocol.v1.ScriptSource;
import io.zentinel.sentinel.lua.worker.dialect.ChunkCompiler;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Prototype;

/**
 * The script set of a worker, compiled once: every {@link ScriptSource} of {@code WorkerInit} is
 * compiled ({@link ChunkCompiler}: Lua 5.4 translated, then LuaC) and its metadata read
 * ({@link ScriptHeader}). A script that does not compile,
 * has bad metadata or repeats another script's name is left out with a {@link ScriptProblem};
 * the others keep working. Running each script's top-level code happens later, per VM.
 *
 * <p>Immutable and thread-safe once built (LuaJ {@link Prototype}s are not modified by running).
 */
public final class ScriptCatalog {
    /** Run order: lower priority first, then name, then file name. */
    public static final Comparator<ScriptHeader> RUN_ORDER =
            Comparator.comparingInt(ScriptHeader::priority).thenComparing(ScriptHeader::name);

    private static final Pattern COMPILE_ERROR = Pattern.compile("^\\[string \"(?:[^\"]*)\"\\]:(\\d+): (.*)$",
            Pattern.DOTALL);
    private static final Pattern RUNTIME_POSITION = Pattern.compile("^[^\\s:]+:(\\d+): ");

    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private final List<ScriptDefinition> scripts;
    private final List<ScriptProblem> problems;
    private final Set<String> names;

    private ScriptCatalog(List<ScriptDefinition> scripts, List<ScriptProblem> problems) {
        this.scripts = List.copyOf(scripts);
        this.problems = List.copyOf(problems);
        Set<String> found = new HashSet<>();
        for (ScriptDefinition script : scripts) {
            collectNames(script.prototype(), found);
        }
        this.names = Set.copyOf(found);
    }

    /** Compiles {@code sources} (in the order given, which decides who keeps a repeated name). */
    public static ScriptCatalog compile(List<ScriptSource> sources) {
        List<ScriptProblem> problems = new ArrayList<>();
        record Candidate(String fileName, ScriptHeader header, Prototype prototype) {
        }
        List<Candidate> candidates = new ArrayList<>();
        Map<String, String> names = new HashMap<>();
        for (ScriptSource source : sources) {
            String fileName = source.getFileName();
            ScriptHeader.Parsed parsed = ScriptHeader.parse(fileName, source.getSource());
            Prototype prototype = null;
            try {
                prototype = ChunkCompiler.INSTANCE.compile(source.getSource().getBytes(StandardCharsets.UTF_8), fileName);
            } catch (LuaError e) {
                problems.add(compileProblem(fileName, e.getMessage()));
            } catch (StackOverflowError e) {
                problems.add(problem(fileName, 0, "does not compile: nested too deeply"));
            } catch (VirtualMachineError e) {
                throw e;
            } catch (Throwable e) {
                // LuaC throws raw exceptions for some inputs, e.g. a NullPointerException beyond 200 locals
                problems.add(problem(fileName, 0, "does not compile (" + e + "); a function with more than "
                        + "200 local variables is one known cause"));
            }
            problems.addAll(parsed.problems());
            if (prototype == null || parsed.header() == null) {
                continue;
            }
            String other = names.putIfAbsent(parsed.header().name(), fileName);
            if (other != null) {
                problems.add(problem(fileName, 0, "script name '" + parsed.header().name()
                        + "' is already used by " + other));
                continue;
            }
            candidates.add(new Candidate(fileName, parsed.header(), prototype));
        }
        candidates.sort(Comparator.comparing(Candidate::header, RUN_ORDER).thenComparing(Candidate::fileName));
        List<ScriptDefinition> scripts = new ArrayList<>(candidates.size());
        for (Candidate c : candidates) {
            scripts.add(new ScriptDefinition(scripts.size(), c.fileName(), c.header(), c.prototype()));
        }
        return new ScriptCatalog(scripts, problems);
    }

    /** The usable scripts, in run order; {@link ScriptDefinition#index()} is the position here. */
    public List<ScriptDefinition> scripts() {
        return scripts;
    }

    /** Scripts left out, in file order. */
    public List<ScriptProblem> problems() {
        return problems;
    }

    /**
     * Whether the compiled code of a usable script has {@code name} as a constant: every global it
     * reads (a library module such as {@code crypto}), and every field or string literal of that
     * spelling. Comments do not count.
     */
    public boolean mentions(String name) {
        return names.contains(name);
    }

    /** The identifier-like string constants of {@code prototype} and the functions inside it. */
    private static void collectNames(Prototype prototype, Set<String> names) {
        for (LuaValue constant : prototype.k) {
            if (constant.type() == LuaValue.TSTRING) {
                String text = constant.tojstring();
                if (IDENTIFIER.matcher(text).matches()) {
                    names.add(text);
                }
            }
        }
        for (Prototype inner : prototype.p) {
            collectNames(inner, names);
        }
    }

    static ScriptProblem problem(String fileName, int line, String reason) {
        return ScriptProblem.newBuilder().setFileName(fileName).setLine(line).setReason(reason).build();
    }

    private static ScriptProblem compileProblem(String fileName, String message) {
        String text = message == null ? "syntax error" : message.strip();
        Matcher m = COMPILE_ERROR.matcher(text);
        if (m.matches()) {
            return problem(fileName, Integer.parseInt(m.group(1)), "does not compile: " + m.group(2));
        }
        return problem(fileName, 0, "does not compile: " + text);
    }

    /** The line of a runtime error message {@code file.lua:12: ...}, or 0. */
    public static int lineOf(String message) {
        Matcher m = RUNTIME_POSITION.matcher(message);
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }
}
