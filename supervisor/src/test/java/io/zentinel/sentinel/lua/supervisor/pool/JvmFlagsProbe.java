package io.zentinel.sentinel.lua.supervisor.pool;

/**
 * Started by {@link WorkerLauncherTest} in place of the worker's main class, with the launcher's
 * flags: prints what the JVM made of them.
 */
public final class JvmFlagsProbe {
    private JvmFlagsProbe() {
    }

    public static void main(String[] args) {
        Runtime runtime = Runtime.getRuntime();
        System.out.println("max-heap=" + runtime.maxMemory() + " processors=" + runtime.availableProcessors());
    }
}
