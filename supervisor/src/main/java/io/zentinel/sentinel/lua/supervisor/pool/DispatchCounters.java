package io.zentinel.sentinel.lua.supervisor.pool;

import io.zentinel.sentinel.lua.supervisor.proxy.Decision;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts of what the {@link EventDispatcher} answered, for metrics and the status command:
 * decisions by kind, failure-mode decisions by cause, script failures by script name.
 * Thread-safe; counting never blocks.
 */
public final class DispatchCounters {
    /** Script names counted separately at most; further names count under {@value #OTHER_SCRIPTS}. */
    public static final int MAX_SCRIPT_NAMES = 256;
    public static final String OTHER_SCRIPTS = "(other)";
    public static final String NO_SCRIPT = "(none)";

    /** Kind of a {@link Decision}. */
    public enum DecisionKind {
        ALLOW, BLOCK, REDIRECT;

        static DecisionKind of(Decision decision) {
            return switch (decision) {
                case Decision.Allow a -> ALLOW;
                case Decision.Block b -> BLOCK;
                case Decision.Redirect r -> REDIRECT;
            };
        }
    }

    private final Map<DecisionKind, LongAdder> decisions = filled(DecisionKind.class);
    private final Map<FailureCause, LongAdder> failures = filled(FailureCause.class);
    private final Map<String, LongAdder> scriptFailures = new ConcurrentHashMap<>();

    private static <E extends Enum<E>> Map<E, LongAdder> filled(Class<E> type) {
        Map<E, LongAdder> map = new EnumMap<>(type);
        for (E e : type.getEnumConstants()) {
            map.put(e, new LongAdder());
        }
        return Collections.unmodifiableMap(map);
    }

    void decision(Decision decision) {
        decisions.get(DecisionKind.of(decision)).increment();
    }

    /** Counts a failure; returns {@code true} the first time this cause is counted (to log it once at WARN). */
    boolean failure(FailureCause cause) {
        LongAdder adder = failures.get(cause);
        adder.increment();
        return adder.sum() == 1;
    }

    void scriptFailure(String script) {
        String key = script == null || script.isEmpty() ? NO_SCRIPT : script;
        LongAdder adder = scriptFailures.get(key);
        if (adder == null) {
            adder = scriptFailures.size() < MAX_SCRIPT_NAMES
                    ? scriptFailures.computeIfAbsent(key, k -> new LongAdder())
                    : scriptFailures.computeIfAbsent(OTHER_SCRIPTS, k -> new LongAdder());
        }
        adder.increment();
    }

    public long decisions(DecisionKind kind) {
        return decisions.get(kind).sum();
    }

    public long failures(FailureCause cause) {
        return failures.get(cause).sum();
    }

    /** Script failures by script name, sorted by name. */
    public Map<String, Long> scriptFailures() {
        Map<String, Long> copy = new TreeMap<>();
        scriptFailures.forEach((name, adder) -> copy.put(name, adder.sum()));
        return copy;
    }
}
