package io.zentinel.sentinel.lua.supervisor.config;

/**
 * The {@code safety} block: what happens when scripts fail, and how much load is admitted.
 *
 * @param failOpen      {@code safety.fail-open}: allow the request when a script fails or times out
 *                      (false: block it)
 * @param debugScripts  {@code safety.debug-scripts}: log every script run
 * @param maxConcurrent {@code safety.max-concurrent}: events in flight at once; more are refused
 */
public record SafetyConfig(boolean failOpen, boolean debugScripts, int maxConcurrent) {

    public SafetyConfig {
        ConfigCheck.atLeast("safety.max-concurrent", maxConcurrent, 1);
    }

    public static SafetyConfig defaults() {
        return new SafetyConfig(true, false, 200);
    }
}
