package io.zentinel.sentinel.lua.supervisor.cgroup;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A cgroup file system over an ordinary directory tree: removing a "cgroup" deletes its control
 * files, and fails as the kernel does (EBUSY) while it has child cgroups or a pid in
 * {@code cgroup.procs}.
 */
class TreeFs extends CgroupFs {
    final Set<Path> readOnly = new HashSet<>();
    /** Where each pid written to a {@code cgroup.procs} is: writing it elsewhere moves it, as in the kernel. */
    private final java.util.Map<String, Path> placed = new java.util.HashMap<>();

    @Override
    boolean isWritableDirectory(Path dir) {
        return super.isWritableDirectory(dir) && !readOnly.contains(dir);
    }

    @Override
    void write(Path file, String value) throws IOException {
        if (readOnly.contains(file.getParent())) {
            throw new IOException("cannot write '" + value + "' to " + file + ": AccessDeniedException");
        }
        if (file.getFileName().toString().equals("cgroup.procs")) {
            Path previous = placed.put(value.strip(), file);
            if (previous != null && !previous.equals(file) && Files.exists(previous)) {
                Files.writeString(previous, "");
            }
        }
        super.write(file, value);
    }

    @Override
    void removeDirectory(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        List<Path> entries;
        try (Stream<Path> list = Files.list(dir)) {
            entries = list.toList();
        }
        Path procs = dir.resolve("cgroup.procs");
        if (entries.stream().anyMatch(Files::isDirectory)
                || Files.exists(procs) && !Files.readString(procs).isBlank()) {
            throw new FileSystemException(dir.toString(), null, "Device or resource busy");
        }
        for (Path file : entries) {
            Files.delete(file);
        }
        try {
            Files.delete(dir);
        } catch (NoSuchFileException e) {
            // gone already
        }
    }

    /** Creates {@code dir} with the given control files. */
    static Path cgroup(Path dir, String... nameValuePairs) throws IOException {
        Files.createDirectories(dir);
        for (int i = 0; i < nameValuePairs.length; i += 2) {
            Files.writeString(dir.resolve(nameValuePairs[i]), nameValuePairs[i + 1]);
        }
        return dir;
    }

    static String fixture(String name) throws IOException {
        try (var in = TreeFs.class.getResourceAsStream("/cgroup/" + name)) {
            if (in == null) {
                throw new IOException("no test resource /cgroup/" + name);
            }
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }
}
