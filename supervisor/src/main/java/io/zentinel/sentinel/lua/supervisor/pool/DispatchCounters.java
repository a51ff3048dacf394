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
 * decisions by kind, failure-mode decisions by cause, and the same failures by script and
 * cause, a (script, cause) matrix whose causes include every limit.
 *
 * <p>Bounded: the causes are an enum; scripts are those of the catalog, and at most
 * {@value #MAX_SCRIPT_NAMES} names are counted separately (a reload may bring new names), further
 * ones under {@value #OTHER_SCRIPTS}. Failures no script is to blame for (no worker, overloaded,
 * a worker killed or crashed, the supervisor's own checks) count under {@value #NO_SCRIPT}.
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
    /** Per script, one counter per cause (by ordinal). */
    private final Map<String, LongAdder[]> byScript = new ConcurrentHashMap<>();

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

    /** Counts a failure-mode decision for {@code cause}, blamed on {@code script} ({@code null}: none). */
    void failure(FailureCause cause, String script) {
        failures.get(cause).increment();
        row(script)[cause.ordinal()].increment();
    }

    private LongAdder[] row(String script) {
        String key = script == null || script.isEmpty() ? NO_SCRIPT : script;
        LongAdder[] row = byScript.get(key);
        if (row == null) {
            row = byScript.size() < MAX_SCRIPT_NAMES ? byScript.computeIfAbsent(key, k -> newRow())
                    : byScript.computeIfAbsent(OTHER_SCRIPTS, k -> newRow());
        }
        return row;
    }

    private static LongAdder[] newRow() {
        LongAdder[] row = new LongAdder[FailureCause.values().length];
        for (int i = 0; i < row.length; i++) {
            row[i] = new LongAdder();
        }
        return row;
    }

    public long decisions(DecisionKind kind) {
        return decisions.get(kind).sum();
    }

    public long failures(FailureCause cause) {
        return failures.get(cause).sum();
    }

    /** Failures of {@code script} ({@value #NO_SCRIPT}, {@value #OTHER_SCRIPTS} or a name) for {@code cause}. */
    public long failures(String script, FailureCause cause) {
        LongAdder[] row = byScript.get(script);
        return row == null ? 0 : row[cause.ordinal()].sum();
    }

    /** Failures by script name (all causes), sorted by name. */
    public Map<String, Long> scriptFailures() {
        Map<String, Long> totals = new TreeMap<>();
        byScript.forEach((name, row) -> {
            long sum = 0;
            for (LongAdder adder : row) {
                sum += adder.sum();
            }
            totals.put(name, sum);
        });
        return totals;
    }

    /** The matrix: script name (sorted) -> cause (in {@link FailureCause} order) -> count, zero cells left out. */
    public Map<String, Map<FailureCause, Long>> failuresByScript() {
        Map<String, Map<FailureCause, Long>> matrix = new TreeMap<>();
        FailureCause[] causes = FailureCause.values();
        byScript.forEach((name, row) -> {
            Map<FailureCause, Long> cells = new EnumMap<>(FailureCause.class);
            for (FailureCause cause : causes) {
                long n = row[cause.ordinal()].sum();
                if (n != 0) {
                    cells.put(cause, n);
                }
            }
            if (!cells.isEmpty()) {
                matrix.put(name, cells);
            }
        });
        return matrix;
    }
}
