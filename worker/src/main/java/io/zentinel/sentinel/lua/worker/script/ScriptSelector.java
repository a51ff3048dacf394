package io.zentinel.sentinel.lua.worker.script;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import io.zentinel.sentinel.lua.protocol.v1.Hook;

/**
 * Which scripts run for a hook, a path and a method, in run order (priority, then name).
 *
 * <p>The candidates of each hook are computed once; a selection then only tests the methods and
 * path patterns of those candidates, with {@link PathGlob}'s string fast paths. Immutable and
 * thread-safe: every VM of a worker shares one selector.
 */
public final class ScriptSelector {

    /** A script with the hooks it implements. */
    public record Entry(ScriptDefinition script, Set<Hook> hooks) {
        public Entry {
            hooks = Set.copyOf(hooks);
        }
    }

    private record Candidate(ScriptDefinition script, List<PathGlob> paths, Set<String> methods) {
        boolean accepts(String path, String method) {
            if (!methods.isEmpty() && !methods.contains(method)) {
                return false;
            }
            if (paths.isEmpty()) {
                return true;
            }
            for (PathGlob glob : paths) {
                if (glob.matches(path)) {
                    return true;
                }
            }
            return false;
        }
    }

    private final Map<Hook, List<Candidate>> byHook = new EnumMap<>(Hook.class);
    private final List<Entry> entries;

    /** @param entries the scripts of the set, with their hooks, in any order */
    public ScriptSelector(List<Entry> entries) {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort((a, b) -> {
            int c = ScriptCatalog.RUN_ORDER.compare(a.script().header(), b.script().header());
            return c != 0 ? c : a.script().fileName().compareTo(b.script().fileName());
        });
        for (Hook hook : Hooks.ALL) {
            byHook.put(hook, new ArrayList<>());
        }
        for (Entry e : sorted) {
            ScriptHeader h = e.script().header();
            Candidate candidate = new Candidate(e.script(), h.allPaths() ? List.of() : h.paths(), h.methods());
            for (Hook hook : e.hooks()) {
                byHook.get(hook).add(candidate);
            }
        }
        byHook.replaceAll((hook, list) -> List.copyOf(list));
        this.entries = List.copyOf(sorted);
    }

    /** Every script with its hooks, in run order. */
    public List<Entry> entries() {
        return entries;
    }

    /** Every script, in run order. */
    public List<ScriptDefinition> scripts() {
        return entries.stream().map(Entry::script).toList();
    }

    /**
     * The scripts to run for {@code hook} on a request to {@code path} (without the query) with
     * {@code method}, in run order.
     */
    public List<ScriptDefinition> select(Hook hook, String path, String method) {
        List<Candidate> candidates = byHook.get(hook);
        if (candidates == null || candidates.isEmpty()) {
            return List.of();
        }
        String upper = method.toUpperCase(Locale.ROOT);
        List<ScriptDefinition> selected = new ArrayList<>(candidates.size());
        for (Candidate c : candidates) {
            if (c.accepts(path, upper)) {
                selected.add(c.script());
            }
        }
        return selected;
    }

    /** Whether any script implements {@code hook}. */
    public boolean hasScriptsFor(Hook hook) {
        List<Candidate> candidates = byHook.get(hook);
        return candidates != null && !candidates.isEmpty();
    }
}
