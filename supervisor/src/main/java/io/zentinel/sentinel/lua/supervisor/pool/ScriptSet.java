package io.zentinel.sentinel.lua.supervisor.pool;

import io.zentinel.sentinel.lua.protocol.v1.SandboxLimits;
import io.zentinel.sentinel.lua.protocol.v1.ScriptSource;
import io.zentinel.sentinel.lua.protocol.v1.VmRenewal;
import io.zentinel.sentinel.lua.protocol.v1.WorkerInit;
import io.zentinel.sentinel.lua.supervisor.config.AgentConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * The scripts every worker of a generation loads: each {@code *.lua} file of the scripts
 * directory, in file-name order. Workers never read the directory; the set travels in
 * {@code WorkerInit}.
 *
 * <p>Reading is bounded: at most {@value #MAX_SCRIPTS} files of at most {@value #MAX_SCRIPT_BYTES}
 * bytes each and {@value #MAX_TOTAL_BYTES} bytes together (the set must fit one pipe frame).
 * Only regular files directly in the directory are read; names starting with {@code .} (editor
 * and lock files) are skipped. Sources must be UTF-8.
 */
public final class ScriptSet {
    public static final int MAX_SCRIPT_BYTES = 1024 * 1024;
    public static final int MAX_SCRIPTS = 256;
    public static final long MAX_TOTAL_BYTES = 32L * 1024 * 1024;

    private final Path directory;
    private final List<ScriptSource> sources;

    private ScriptSet(Path directory, List<ScriptSource> sources) {
        this.directory = directory;
        this.sources = List.copyOf(sources);
    }

    /** A set from sources already in memory (tests, tools); no directory behind it. */
    public static ScriptSet of(List<ScriptSource> sources) {
        return new ScriptSet(null, sources);
    }

    /**
     * Reads every {@code *.lua} file of {@code directory}.
     *
     * @throws ScriptSetException naming the directory or file and the rule it breaks
     */
    public static ScriptSet read(Path directory) throws ScriptSetException {
        Objects.requireNonNull(directory, "directory");
        if (!Files.exists(directory)) {
            throw new ScriptSetException("scripts.directory '" + directory + "' does not exist");
        }
        if (!Files.isDirectory(directory)) {
            throw new ScriptSetException("scripts.directory '" + directory + "' is not a directory");
        }
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory, "*.lua")) {
            for (Path file : stream) {
                String name = file.getFileName().toString();
                if (name.startsWith(".") || !Files.isRegularFile(file)) {
                    continue;
                }
                if (files.size() == MAX_SCRIPTS) {
                    throw new ScriptSetException("scripts.directory '" + directory + "' holds more than "
                            + MAX_SCRIPTS + " *.lua files");
                }
                files.add(file);
            }
        } catch (ScriptSetException e) {
            throw e;
        } catch (IOException e) {
            throw new ScriptSetException("scripts.directory '" + directory + "' could not be listed: " + e, e);
        }
        files.sort(Comparator.comparing(f -> f.getFileName().toString()));
        List<ScriptSource> sources = new ArrayList<>(files.size());
        long total = 0;
        for (Path file : files) {
            String name = file.getFileName().toString();
            byte[] bytes = readScript(file, name);
            total += bytes.length;
            if (total > MAX_TOTAL_BYTES) {
                throw new ScriptSetException("scripts in '" + directory + "' (" + total + " bytes up to '" + name
                        + "') exceed the maximum allowed in total (" + MAX_TOTAL_BYTES + ")");
            }
            sources.add(ScriptSource.newBuilder().setFileName(name).setSource(decode(bytes, name)).build());
        }
        return new ScriptSet(directory, sources);
    }

    /**
     * A set of the one script {@code file} (the {@code check} and {@code test} commands), read
     * under the same rules as a file of the scripts directory; its name need not end in {@code .lua}.
     *
     * @throws ScriptSetException naming the file and the rule it breaks
     */
    public static ScriptSet readFile(Path file) throws ScriptSetException {
        Objects.requireNonNull(file, "file");
        if (!Files.exists(file)) {
            throw new ScriptSetException("script '" + file + "' does not exist");
        }
        if (!Files.isRegularFile(file)) {
            throw new ScriptSetException("script '" + file + "' is not a regular file");
        }
        String name = file.getFileName().toString();
        byte[] bytes = readScript(file, name);
        return new ScriptSet(null, List.of(ScriptSource.newBuilder().setFileName(name)
                .setSource(decode(bytes, name)).build()));
    }

    private static byte[] readScript(Path file, String name) throws ScriptSetException {
        byte[] bytes;
        long size;
        try (InputStream in = Files.newInputStream(file)) {
            // one byte more than allowed tells an oversized file without reading all of it
            bytes = in.readNBytes(MAX_SCRIPT_BYTES + 1);
            size = bytes.length > MAX_SCRIPT_BYTES ? Files.size(file) : bytes.length;
        } catch (IOException e) {
            throw new ScriptSetException("script '" + name + "' could not be read: " + e, e);
        }
        if (bytes.length > MAX_SCRIPT_BYTES) {
            throw new ScriptSetException("script '" + name + "' (" + size
                    + " bytes) exceeds the maximum allowed (" + MAX_SCRIPT_BYTES + ", per script file)");
        }
        return bytes;
    }

    private static String decode(byte[] bytes, String name) throws ScriptSetException {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new ScriptSetException("script '" + name + "' is not valid UTF-8");
        }
    }

    /** The directory the set was read from, or {@code null} for {@link #of(List)} and {@link #readFile(Path)}. */
    public Path directory() {
        return directory;
    }

    public List<ScriptSource> sources() {
        return sources;
    }

    public List<String> fileNames() {
        return sources.stream().map(ScriptSource::getFileName).toList();
    }

    /**
     * The init frame for one worker: this set, the sandbox limits from {@code resource-limits}
     * and {@code scripts}, {@code workers.vms-per-worker}, when its Lua VMs are renewed
     * ({@code vm-pool.max-executions} and {@code max-age}) and {@code safety.debug-scripts}.
     */
    public WorkerInit toInit(int workerId, AgentConfig config) {
        return WorkerInit.newBuilder()
                .setWorkerId(workerId)
                .setVmCount(config.workers().vmsPerWorker())
                .setLimits(sandboxLimits(config))
                .addAllScripts(sources)
                .setAgentVersion(agentVersion())
                .setDebugScripts(config.safety().debugScripts())
                .setVmRenewal(VmRenewal.newBuilder()
                        .setMaxExecutions(config.vmPool().maxExecutions())
                        .setMaxAgeMs(config.vmPool().maxAge().toMillis()))
                .build();
    }

    /** {@code SandboxLimits} as the configuration sets them. */
    public static SandboxLimits sandboxLimits(AgentConfig config) {
        var limits = config.limits();
        var scripts = config.scripts();
        return SandboxLimits.newBuilder()
                .setMaxInstructions(limits.maxInstructions())
                .setMaxMemoryBytes(limits.maxMemoryBytes())
                .setMaxExecutionMs(toMillis(limits.maxExecutionTime()))
                .setScriptTimeoutMs(toMillis(scripts.timeout()))
                .setMaxStringBytes(limits.maxStringBytes())
                .setMaxTableEntries(limits.maxTableEntries())
                .setMaxBodyBytes(scripts.maxBodyBytes())
                .setMaxCallDepth(limits.maxCallDepth())
                .setMaxCoroutines(limits.maxCoroutines())
                .setMaxCtxBytes(limits.maxCtxBytes())
                .build();
    }

    private static int toMillis(java.time.Duration duration) {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, duration.toMillis()));
    }

    /** The agent's version from the jar manifest, {@code dev} when run from classes. */
    public static String agentVersion() {
        String version = ScriptSet.class.getPackage().getImplementationVersion();
        return version != null ? version : "dev";
    }

    @Override
    public String toString() {
        return "ScriptSet" + fileNames();
    }
}
