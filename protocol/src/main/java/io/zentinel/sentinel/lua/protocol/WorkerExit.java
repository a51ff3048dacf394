package io.zentinel.sentinel.lua.protocol;

/**
 * Exit statuses of a worker JVM, and what the supervisor makes of any status it observes.
 * The worker exits with these; the supervisor interprets them (and signals) when it respawns.
 */
public enum WorkerExit {
    /** Orderly stop: told to shut down, or retired. */
    RETIRED(0, "retired"),
    /** HotSpot's status under -XX:+ExitOnOutOfMemoryError. */
    OUT_OF_MEMORY(3, "out of memory (heap)"),
    /** A frame from the supervisor could not be read or decoded. */
    PROTOCOL(65, "protocol error on the pipe"),
    /** An unexpected bug in the worker. */
    SOFTWARE(70, "internal error"),
    /** The script set handed to the worker could not be used at all. */
    SCRIPT_INVALID(78, "script set invalid");

    private final int code;
    private final String meaning;

    WorkerExit(int code, String meaning) {
        this.code = code;
        this.meaning = meaning;
    }

    public int code() {
        return code;
    }

    public String meaning() {
        return meaning;
    }

    /**
     * Describes an exit status as the supervisor saw it: one of ours, or {@code 128 + signal} for
     * a process ended by a signal (SIGKILL from the kernel's OOM killer or from us, SIGXCPU from
     * RLIMIT_CPU).
     */
    public static String describe(int status) {
        for (WorkerExit exit : values()) {
            if (exit.code == status) {
                return exit.meaning + " (exit " + status + ")";
            }
        }
        if (status > 128 && status < 128 + 65) {
            int signal = status - 128;
            return switch (signal) {
                case 9 -> "killed by SIGKILL (exit 137)";
                case 15 -> "terminated by SIGTERM (exit 143)";
                case 24 -> "CPU time limit, SIGXCPU (exit 152)";
                case 6 -> "aborted, SIGABRT (exit 134)";
                case 11 -> "crashed, SIGSEGV (exit 139)";
                default -> "ended by signal " + signal + " (exit " + status + ")";
            };
        }
        return "exited with status " + status;
    }
}
