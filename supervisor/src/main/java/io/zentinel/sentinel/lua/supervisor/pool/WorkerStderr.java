package io.zentinel.sentinel.lua.supervisor.pool;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Copies a worker's stderr, line by line, into the supervisor log under the logger
 * {@code worker-<id>}.
 *
 * <p>The worker logs through slf4j-simple with {@code levelInBrackets} (see
 * {@link WorkerLauncher#FIXED_FLAGS}), so a line starting with {@code [WARN] } is logged at WARN
 * without the prefix. Any other line (a JVM message, an uncaught stack trace, OOM) is logged at
 * WARN: a healthy worker writes nothing else. Lines longer than {@value #MAX_LINE_BYTES} bytes
 * are cut, so a worker cannot make the supervisor buffer without bound.
 */
final class WorkerStderr implements Runnable {
    static final int MAX_LINE_BYTES = 8 * 1024;

    private final InputStream in;
    private final Logger log;

    WorkerStderr(int workerId, InputStream in) {
        this(in, LoggerFactory.getLogger("worker-" + workerId));
    }

    WorkerStderr(InputStream in, Logger log) {
        this.in = in;
        this.log = log;
    }

    /** Starts the copy on a platform daemon thread named {@code worker-<id>-stderr}. */
    static Thread start(int workerId, InputStream in) {
        return Thread.ofPlatform().daemon().name("worker-" + workerId + "-stderr")
                .start(new WorkerStderr(workerId, in));
    }

    /** Runs until the stream ends (the worker exited). */
    @Override
    public void run() {
        byte[] line = new byte[MAX_LINE_BYTES];
        int length = 0;
        boolean truncated = false;
        byte[] buffer = new byte[4096];
        try (in) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                for (int i = 0; i < n; i++) {
                    byte b = buffer[i];
                    if (b == '\n') {
                        emit(line, length, truncated);
                        length = 0;
                        truncated = false;
                    } else if (length < line.length) {
                        line[length++] = b;
                    } else {
                        truncated = true;
                    }
                }
            }
        } catch (IOException e) {
            log.debug("stderr closed: {}", e.getMessage());
        }
        if (length > 0) {
            emit(line, length, truncated);
        }
    }

    private void emit(byte[] bytes, int length, boolean truncated) {
        int end = length > 0 && bytes[length - 1] == '\r' ? length - 1 : length;
        String text = new String(Arrays.copyOf(bytes, end), StandardCharsets.UTF_8);
        if (truncated) {
            text += " [line cut at " + MAX_LINE_BYTES + " bytes]";
        }
        if (text.isBlank()) {
            return;
        }
        Level level = Level.WARN;
        for (Level candidate : Level.values()) {
            String prefix = "[" + candidate + "] ";
            if (text.startsWith(prefix)) {
                level = candidate;
                text = text.substring(prefix.length());
                break;
            }
        }
        log.atLevel(level).log(text);
    }
}
