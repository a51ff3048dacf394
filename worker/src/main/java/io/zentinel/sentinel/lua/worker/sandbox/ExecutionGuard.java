package io.zentinel.sentinel.lua.worker.sandbox;

/**
 * What library code (Java functions called from Lua) consults while a script runs, so that work
 * done inside Java, where no instruction hook fires, still respects the run's limits.
 *
 * <p>One guard belongs to one Lua VM (one {@code Globals}, one thread). Every method throws
 * {@link BudgetExceededError} when the limit is hit.
 */
public interface ExecutionGuard {

    /** Throws when the current run is past its deadline (call it from long Java-side loops). */
    void checkDeadline();

    /**
     * Counts {@code count} instructions' worth of work done in Java (matching a Lua pattern) and
     * checks the limits as the instruction hook does: the instruction limit, the deadline and the
     * allocation count. A guard that counts no instructions only checks the deadline.
     */
    default void chargeInstructions(long count) {
        checkDeadline();
    }

    /** Throws when a string of {@code bytes} would exceed the string length limit. */
    void checkStringLength(long bytes);

    /** Throws when a table of {@code entries} would exceed the table size limit. */
    void checkTableSize(long entries);

    /** Largest string a library may build, in bytes (resource-limits.max-string-bytes). */
    long maxStringBytes();

    /** Largest table a library may build, in entries (resource-limits.max-table-entries). */
    long maxTableEntries();

    /** A guard that never objects: for tools and tests that run library code outside a script. */
    ExecutionGuard UNLIMITED = new ExecutionGuard() {
        @Override
        public void checkDeadline() {
        }

        @Override
        public void checkStringLength(long bytes) {
        }

        @Override
        public void checkTableSize(long entries) {
        }

        @Override
        public long maxStringBytes() {
            return Integer.MAX_VALUE;
        }

        @Override
        public long maxTableEntries() {
            return Integer.MAX_VALUE;
        }
    };
}
