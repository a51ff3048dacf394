package io.zentinel.sentinel.lua.supervisor.pool;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The kind of class archive the workers' Java runtime makes and maps (see {@link ClassArchive}).
 * An archive only maps into the runtime that wrote it, so the runtime's version decides both.
 */
public enum ArchiveFormat {
    /**
     * Java 21 to 24: an AppCDS dynamic archive, written as the training JVM exits
     * ({@code -XX:ArchiveClassesAtExit}) and mapped with {@code -XX:SharedArchiveFile}. It holds
     * the classes loaded, parsed and verified.
     */
    APP_CDS,
    /**
     * Java 25 and newer: the AOT cache (JEPs 483, 514, 515). The training JVM records its
     * classes and method profiles ({@code -XX:AOTMode=record}); a second JVM assembles the cache
     * from that record ({@code -XX:AOTMode=create}), with the classes already linked; workers map
     * it with {@code -XX:AOTCache}. Measured on the worker: ready in about 200 ms from spawn,
     * against 230 ms with the AppCDS archive (docs/operations.md).
     */
    AOT_CACHE;

    /** Keeps the JVM's notes about the classes it leaves out (JFR's event classes, generated ones) out of the log. */
    private static final List<String> QUIET = List.of("-Xlog:aot*=error:stderr", "-Xlog:cds*=error:stderr");

    /** The first Java feature release whose AOT cache the agent uses. */
    static final int AOT_CACHE_SINCE = 25;

    /** The format of a Java runtime of feature release {@code javaFeature}. */
    public static ArchiveFormat of(int javaFeature) {
        return javaFeature >= AOT_CACHE_SINCE ? AOT_CACHE : APP_CDS;
    }

    /** The format of this JVM's runtime, which the workers share. */
    public static ArchiveFormat current() {
        return of(Runtime.version().feature());
    }

    /** The flags that map {@code archive} into a worker, which runs without it if it cannot. */
    public List<String> useFlags(Path archive) {
        return switch (this) {
            case APP_CDS -> List.of("-XX:SharedArchiveFile=" + archive);
            case AOT_CACHE -> List.of("-XX:AOTCache=" + archive);
        };
    }

    /** The flags that map {@code archive} into a JVM, which refuses to start if it cannot. */
    public List<String> strictUseFlags(Path archive) {
        String strict = switch (this) {
            case APP_CDS -> "-Xshare:on";
            case AOT_CACHE -> "-XX:AOTMode=on";
        };
        return Stream.concat(Stream.of(strict), useFlags(archive).stream()).toList();
    }

    /** The flags of the training worker for {@code archive}, quiet about the classes it leaves out. */
    public List<String> trainingFlags(Path archive) {
        return switch (this) {
            case APP_CDS -> List.of("-XX:ArchiveClassesAtExit=" + archive, "-Xlog:cds*=error:stderr");
            case AOT_CACHE -> Stream.concat(Stream.of("-XX:AOTMode=record", "-XX:AOTConfiguration=" + record(archive)),
                    QUIET.stream()).toList();
        };
    }

    /**
     * The flags of the JVM that assembles {@code archive} after training, or none when the
     * training JVM wrote it itself.
     */
    public List<String> assemblyFlags(Path archive) {
        return switch (this) {
            case APP_CDS -> List.of();
            case AOT_CACHE -> Stream.concat(Stream.of("-XX:AOTMode=create", "-XX:AOTConfiguration=" + record(archive),
                    "-XX:AOTCache=" + archive), QUIET.stream()).toList();
        };
    }

    /** The training record of an AOT cache, next to it: {@code worker.jsa.record}. */
    public static Path record(Path archive) {
        return archive.resolveSibling(archive.getFileName() + ".record");
    }
}
