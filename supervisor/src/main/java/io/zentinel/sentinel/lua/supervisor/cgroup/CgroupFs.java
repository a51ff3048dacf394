package io.zentinel.sentinel.lua.supervisor.cgroup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;

/**
 * The file operations on a cgroup file system. The real one: cgroup directories are removed with
 * a plain {@code rmdir} although they list control files. Tests override {@link #removeDirectory}
 * to run against an ordinary directory tree that mimics a hierarchy.
 */
class CgroupFs {

    /** Reads a control file. */
    String read(Path file) throws IOException {
        return Files.readString(file, StandardCharsets.UTF_8);
    }

    /** Writes a control file: one {@code write(2)} of {@code value}, as {@code echo value > file} does. */
    void write(Path file, String value) throws IOException {
        try {
            Files.write(file, value.getBytes(StandardCharsets.UTF_8), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw new IOException("cannot write '" + value + "' to " + file + ": " + reason(e), e);
        }
    }

    boolean exists(Path path) {
        return Files.exists(path);
    }

    boolean isWritableDirectory(Path dir) {
        return Files.isDirectory(dir) && Files.isWritable(dir);
    }

    /** Creates {@code dir}; fine when it exists. */
    void createDirectory(Path dir) throws IOException {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IOException("cannot create cgroup " + dir + ": " + reason(e), e);
        }
    }

    /** Removes an (empty) cgroup directory; fine when it is gone already. */
    void removeDirectory(Path dir) throws IOException {
        try {
            Files.delete(dir);
        } catch (NoSuchFileException e) {
            // gone already
        }
    }

    /** The subdirectories of {@code dir}. */
    List<Path> subdirectories(Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.filter(Files::isDirectory).sorted().toList();
        }
    }

    static String reason(IOException e) {
        String message = e.getMessage();
        if (e instanceof java.nio.file.FileSystemException fse && fse.getReason() != null) {
            message = fse.getReason();
        }
        return e.getClass().getSimpleName() + (message == null ? "" : " (" + message + ")");
    }
}
