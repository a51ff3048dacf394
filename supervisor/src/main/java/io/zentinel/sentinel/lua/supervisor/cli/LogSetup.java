package io.zentinel.sentinel.lua.supervisor.cli;

/**
 * Configures the SLF4J simple logger the distribution binds. It reads system properties once,
 * when the first logger is created, so this runs before anything logs; properties set by the
 * operator (-D in SENTINEL_LUA_JAVA_OPTS) or by tests win.
 */
final class LogSetup {
    private static final String PREFIX = "org.slf4j.simpleLogger.";

    private LogSetup() {
    }

    static void configure(String level) {
        setIfAbsent("defaultLogLevel", level);
        setIfAbsent("logFile", "System.err");
        setIfAbsent("showDateTime", "true");
        setIfAbsent("dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
        setIfAbsent("showThreadName", "false");
        setIfAbsent("levelInBrackets", "true");
        setIfAbsent("showShortLogName", "true");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(PREFIX + key) == null) {
            System.setProperty(PREFIX + key, value);
        }
    }
}
