package io.zentinel.sentinel.lua.supervisor.it;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;

/**
 * Reads the agent's log in an integration test. The test logging backend (slf4j-simple) writes to
 * whatever {@code System.err} is at each call; while a tap is open that is a stream which passes
 * every byte on and also keeps each line.
 */
final class LogTap implements AutoCloseable {
    /** A logged line and when it was written ({@link System#nanoTime()}). */
    record Line(long nanos, String text) {
    }

    private final PrintStream original;
    private final List<Line> lines = new CopyOnWriteArrayList<>();

    LogTap() {
        original = System.err;
        System.setErr(new PrintStream(new OutputStream() {
            private final ByteArrayOutputStream line = new ByteArrayOutputStream();

            @Override
            public synchronized void write(int b) {
                original.write(b);
                if (b == '\n') {
                    lines.add(new Line(System.nanoTime(), line.toString(StandardCharsets.UTF_8)));
                    line.reset();
                } else {
                    line.write(b);
                }
            }

            @Override
            public void flush() {
                original.flush();
            }
        }, true, StandardCharsets.UTF_8));
    }

    /** The lines logged so far that contain {@code pattern} (a regular expression, found anywhere). */
    List<String> matching(String pattern) {
        return linesMatching(pattern).stream().map(Line::text).toList();
    }

    /** As {@link #matching(String)}, with the time each line was written. */
    List<Line> linesMatching(String pattern) {
        Pattern p = Pattern.compile(pattern);
        return lines.stream().filter(line -> p.matcher(line.text()).find()).toList();
    }

    @Override
    public void close() {
        System.err.flush();
        System.setErr(original);
    }
}
