package io.zentinel.sentinel.lua.supervisor.config;

import io.zentinel.sentinel.lua.supervisor.config.kdl.KdlDocument;
import io.zentinel.sentinel.lua.supervisor.config.kdl.KdlParseException;
import io.zentinel.sentinel.lua.supervisor.config.kdl.KdlParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.Optional;

/**
 * Turns the KDL configuration file into an {@link AgentConfig}.
 *
 * <p>The format is the seed README's (KDL v1); KDL v2 syntax is accepted too (see
 * {@link KdlParser#parse(String)}). Keys that are absent take their defaults; unknown nodes,
 * repeated keys, values of the wrong type and values out of range are rejected with a
 * {@link ConfigException} that names the key. Relative paths are resolved against the directory
 * of the file.
 */
public final class ConfigLoader {

    /** A configuration file is a few kilobytes; this bound keeps a wrong path from filling the heap. */
    static final int MAX_FILE_BYTES = 1024 * 1024;

    private ConfigLoader() {
    }

    /** Loads {@code file}; relative paths in it are resolved against its directory. */
    public static AgentConfig load(Path file) {
        Path absolute = file.toAbsolutePath().normalize();
        return parse(read(absolute), absolute.getParent(), absolute.toString());
    }

    /** Parses configuration text; relative paths in it are resolved against {@code baseDirectory}. */
    public static AgentConfig parse(String text, Path baseDirectory) {
        return parse(text, baseDirectory.toAbsolutePath().normalize(), "the configuration");
    }

    /** Parses configuration text; relative paths in it are resolved against the working directory. */
    public static AgentConfig parse(String text) {
        return parse(text, Path.of(""));
    }

    private static AgentConfig parse(String text, Path base, String source) {
        Objects.requireNonNull(text, "text");
        KdlDocument document;
        try {
            document = KdlParser.parse(text);
        } catch (KdlParseException e) {
            throw new ConfigException(source + " is not valid KDL: " + e.getMessage(), e);
        }
        return agent(ConfigBlock.topLevel(document.nodes()), base);
    }

    private static String read(Path file) {
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MAX_FILE_BYTES + 1);
        } catch (NoSuchFileException e) {
            throw new ConfigException("config file " + file + " does not exist", e);
        } catch (AccessDeniedException e) {
            throw new ConfigException("config file " + file + " cannot be read: permission denied", e);
        } catch (IOException e) {
            throw new ConfigException("config file " + file + " cannot be read: " + e.getMessage(), e);
        }
        if (bytes.length > MAX_FILE_BYTES) {
            throw new ConfigException("config file " + file + " is larger than " + MAX_FILE_BYTES + " bytes");
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new ConfigException("config file " + file + " is not valid UTF-8", e);
        }
    }

    // ---------------------------------------------------------------- blocks

    private static AgentConfig agent(ConfigBlock top, Path base) {
        AgentConfig defaults = AgentConfig.defaults();
        Path socketPath = top.path("socket-path", base).orElse(defaults.socketPath());
        String logLevel = top.string("log-level").orElse(defaults.logLevel());
        ScriptConfig scripts = top.block("scripts").map(b -> scripts(b, base)).orElse(defaults.scripts());
        Optional<ConfigBlock> vmPoolBlock = top.block("vm-pool");
        ResourceLimits limits = top.block("resource-limits").map(ConfigLoader::limits).orElse(defaults.limits());
        SafetyConfig safety = top.block("safety").map(ConfigLoader::safety).orElse(defaults.safety());
        Optional<ConfigBlock> workersBlock = top.block("workers");
        AdminConfig admin = top.block("admin").map(b -> admin(b, base)).orElse(defaults.admin());
        top.rejectUnknown();

        PoolShape shape = poolShape(vmPoolBlock, workersBlock);
        VmPoolConfig vmPool = vmPool(vmPoolBlock, shape.size());
        WorkerConfig workers = workers(workersBlock, shape.count(), shape.vmsPerWorker());
        return new AgentConfig(socketPath, scripts, vmPool, limits, safety, workers, admin, logLevel);
    }

    // Each block is read completely and checked for unknown keys before its record is built: a
    // misspelt key would otherwise surface as a confusing range error of the default it left in place.

    private static ScriptConfig scripts(ConfigBlock block, Path base) {
        ScriptConfig d = ScriptConfig.defaults();
        Path directory = block.path("directory", base).orElse(d.directory());
        boolean hotReload = block.bool("hot-reload").orElse(d.hotReload());
        Duration watchInterval = block.duration("watch-interval", ChronoUnit.SECONDS).orElse(d.watchInterval());
        Duration timeout = block.duration("timeout", ChronoUnit.MILLIS).orElse(d.timeout());
        int cacheSize = block.smallInteger("cache-size").orElse(d.cacheSize());
        long maxBodyBytes = block.integer("max-body-bytes").orElse(d.maxBodyBytes());
        block.rejectUnknown();
        return new ScriptConfig(directory, hotReload, watchInterval, timeout, cacheSize, maxBodyBytes);
    }

    private static VmPoolConfig vmPool(Optional<ConfigBlock> maybeBlock, int size) {
        VmPoolConfig d = VmPoolConfig.defaults();
        if (maybeBlock.isEmpty()) {
            return new VmPoolConfig(size, d.maxAge(), d.maxExecutions());
        }
        ConfigBlock block = maybeBlock.get();
        Duration maxAge = block.duration("max-age", ChronoUnit.SECONDS).orElse(d.maxAge());
        long maxExecutions = block.integer("max-executions").orElse(d.maxExecutions());
        block.rejectUnknown();
        return new VmPoolConfig(size, maxAge, maxExecutions);
    }

    private static ResourceLimits limits(ConfigBlock block) {
        ResourceLimits d = ResourceLimits.defaults();
        long maxMemory = block.integer("max-memory").orElse(d.maxMemoryBytes());
        long maxInstructions = block.integer("max-instructions").orElse(d.maxInstructions());
        Duration maxExecutionTime = block.duration("max-execution-time", ChronoUnit.MILLIS)
                .orElse(d.maxExecutionTime());
        boolean allowFilesystem = block.bool("allow-filesystem").orElse(d.allowFilesystem());
        boolean allowNetwork = block.bool("allow-network").orElse(d.allowNetwork());
        long maxStringBytes = block.integer("max-string-bytes").orElse(d.maxStringBytes());
        int maxTableEntries = block.smallInteger("max-table-entries").orElse(d.maxTableEntries());
        int maxCallDepth = block.smallInteger("max-call-depth").orElse(d.maxCallDepth());
        int maxCoroutines = block.smallInteger("max-coroutines").orElse(d.maxCoroutines());
        long maxCtxBytes = block.integer("max-ctx-bytes").orElse(d.maxCtxBytes());
        block.rejectUnknown();
        return new ResourceLimits(maxMemory, maxInstructions, maxExecutionTime, allowFilesystem, allowNetwork,
                maxStringBytes, maxTableEntries, maxCallDepth, maxCoroutines, maxCtxBytes);
    }

    private static SafetyConfig safety(ConfigBlock block) {
        SafetyConfig d = SafetyConfig.defaults();
        boolean failOpen = block.bool("fail-open").orElse(d.failOpen());
        boolean debugScripts = block.bool("debug-scripts").orElse(d.debugScripts());
        int maxConcurrent = block.smallInteger("max-concurrent").orElse(d.maxConcurrent());
        block.rejectUnknown();
        return new SafetyConfig(failOpen, debugScripts, maxConcurrent);
    }

    /** The number of VMs, of workers and of VMs per worker, from whichever of them are given. */
    private record PoolShape(int size, int count, int vmsPerWorker) {
    }

    /**
     * {@code workers.vms-per-worker} defaults to {@code ceil(vm-pool.size / workers.count)}; given
     * alone, it sets {@code vm-pool.size} to {@code workers.count × workers.vms-per-worker}; given
     * together with {@code vm-pool.size}, the two must describe the same number of VMs.
     */
    private static PoolShape poolShape(Optional<ConfigBlock> vmPoolBlock, Optional<ConfigBlock> workersBlock) {
        Optional<Integer> size = vmPoolBlock.flatMap(block -> block.smallInteger("size"));
        int count = workersBlock.flatMap(block -> block.smallInteger("count")).orElse(WorkerConfig.defaults().count());
        Optional<Integer> vms = workersBlock.flatMap(block -> block.smallInteger("vms-per-worker"));
        // The records check these too; here they must hold before they are multiplied or divided,
        // and the message must name the key the operator wrote, not one derived from it.
        size.ifPresent(value -> ConfigCheck.atLeast("vm-pool.size", value, 1));
        ConfigCheck.atLeast("workers.count", count, 1);
        vms.ifPresent(value -> ConfigCheck.atLeast("workers.vms-per-worker", value, 1));
        if (vms.isEmpty()) {
            int poolSize = size.orElse(VmPoolConfig.defaults().size());
            return new PoolShape(poolSize, count, Math.ceilDiv(poolSize, count));
        }
        long total = (long) count * vms.get();
        if (size.isPresent() && total != size.get()) {
            throw new ConfigException("vm-pool.size (" + size.get() + ") cannot be combined with"
                    + " workers.vms-per-worker (" + vms.get() + ") and workers.count (" + count + "): "
                    + count + " workers of " + vms.get() + " VMs make " + total
                    + " VMs; set only one of vm-pool.size and workers.vms-per-worker, or make them agree");
        }
        if (total > Integer.MAX_VALUE) {
            throw new ConfigException("workers.count (" + count + ") and workers.vms-per-worker (" + vms.get()
                    + ") are out of range: together more than " + Integer.MAX_VALUE + " VMs");
        }
        return new PoolShape((int) total, count, vms.get());
    }

    private static WorkerConfig workers(Optional<ConfigBlock> maybeBlock, int count, int vmsPerWorker) {
        WorkerConfig d = WorkerConfig.defaults();
        if (maybeBlock.isEmpty()) {
            return d.withVmsPerWorker(vmsPerWorker);
        }
        ConfigBlock block = maybeBlock.get();
        long heapBytes = block.integer("heap-bytes").orElse(d.heapBytes());
        long memoryBytes = block.integer("memory-bytes").orElse(d.memoryBytes());
        int cpuPercent = block.smallInteger("cpu-percent").orElse(d.cpuPercent());
        int pidsMax = block.smallInteger("pids-max").orElse(d.pidsMax());
        Duration startTimeout = block.duration("start-timeout", ChronoUnit.MILLIS).orElse(d.startTimeout());
        Duration killGrace = block.duration("kill-grace", ChronoUnit.MILLIS).orElse(d.killGrace());
        Duration heartbeatInterval = block.duration("heartbeat-interval", ChronoUnit.MILLIS)
                .orElse(d.heartbeatInterval());
        int nice = block.smallInteger("nice").orElse(d.nice());
        long cpuSeconds = block.integer("cpu-seconds").orElse(d.cpuSeconds());
        Duration maxAge = block.duration("max-age", ChronoUnit.SECONDS).orElse(d.maxAge());
        long maxExecutions = block.integer("max-executions").orElse(d.maxExecutions());
        int standby = block.smallInteger("standby").orElse(d.standby());
        block.rejectUnknown();
        return new WorkerConfig(count, vmsPerWorker, heapBytes, memoryBytes, cpuPercent, pidsMax, startTimeout,
                killGrace, heartbeatInterval, nice, cpuSeconds, maxAge, maxExecutions, standby);
    }

    private static AdminConfig admin(ConfigBlock block, Path base) {
        Path socketPath = block.path("socket-path", base).orElse(AdminConfig.defaults().socketPath());
        block.rejectUnknown();
        return new AdminConfig(socketPath);
    }
}
