package io.zentinel.sentinel.lua.supervisor.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The machine a benchmark ran on, as the report states it.
 *
 * @param cpus        processors available to this JVM
 * @param cpuModel    {@code model name} of {@code /proc/cpuinfo}
 * @param kernel      {@code /proc/sys/kernel/osrelease}
 * @param os          {@code PRETTY_NAME} of {@code /etc/os-release}
 * @param memTotal    {@code MemTotal} of {@code /proc/meminfo}
 * @param java        version and vendor of the Java runtime (the launcher's, which the agent uses)
 * @param loadAverage the 1, 5 and 15 minute load averages when the report was written
 */
public record MachineInfo(int cpus, String cpuModel, String kernel, String os, String memTotal, String java,
                          String loadAverage) {

    /** This machine; a value that cannot be read is {@code "unknown"}. */
    public static MachineInfo detect() {
        String cpuModel = read("/proc/cpuinfo").flatMap(t -> field(t, "model name", ':')).orElse("unknown");
        String kernel = read("/proc/sys/kernel/osrelease").map(String::trim).orElse(System.getProperty("os.version"));
        String os = read("/etc/os-release").flatMap(t -> field(t, "PRETTY_NAME", '='))
                .map(v -> v.replace("\"", "")).orElse(System.getProperty("os.name"));
        String mem = read("/proc/meminfo").flatMap(t -> field(t, "MemTotal", ':')).orElse("unknown");
        String java = Runtime.version() + " (" + System.getProperty("java.vm.vendor", "?") + ", "
                + System.getProperty("java.vm.name", "?") + ")";
        String load = read("/proc/loadavg").map(t -> {
            String[] parts = t.trim().split("\\s+");
            return parts.length >= 3 ? parts[0] + " " + parts[1] + " " + parts[2] : t.trim();
        }).orElse("unknown");
        return new MachineInfo(Runtime.getRuntime().availableProcessors(), cpuModel, kernel, os, mem, java, load);
    }

    /** The value of the first line {@code name<sep>value} of {@code text}, trimmed. */
    static Optional<String> field(String text, String name, char separator) {
        for (String line : text.split("\n")) {
            int at = line.indexOf(separator);
            if (at > 0 && line.substring(0, at).trim().equals(name)) {
                return Optional.of(line.substring(at + 1).trim());
            }
        }
        return Optional.empty();
    }

    private static Optional<String> read(String file) {
        try {
            return Optional.of(Files.readString(Path.of(file)));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
