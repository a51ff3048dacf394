package io.zentinel.sentinel.lua.supervisor.watch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zentinel.sentinel.lua.supervisor.pool.ScriptSet;
import io.zentinel.sentinel.lua.supervisor.pool.ScriptSetException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The watcher on a real directory. Bounds are generous (seconds) and only ever upper bounds:
 * no assertion depends on how fast the machine is, except that 20 writes in a row take less
 * than the 1 s quiet time of {@link #rapidSuccessiveChangesAreDeliveredOnceWithTheLastContent}.
 */
@SuppressWarnings("try") // watchers opened only to be closed
class ScriptWatcherTest {
    private static final long WAIT_SECONDS = 20;

    @TempDir
    Path dir;

    /** Records what the watcher hands over. */
    static final class Recorder implements ScriptWatcher.Listener {
        final BlockingQueue<ScriptSet> changes = new LinkedBlockingQueue<>();
        final BlockingQueue<ScriptSetException> errors = new LinkedBlockingQueue<>();

        @Override
        public void changed(ScriptSet scripts) {
            changes.add(scripts);
        }

        @Override
        public void unreadable(ScriptSetException error) {
            errors.add(error);
        }

        ScriptSet next() throws InterruptedException {
            return changes.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        }
    }

    private void write(String name, String content) throws Exception {
        Files.writeString(dir.resolve(name), content);
    }

    private static String source(ScriptSet set, String name) {
        return set.sources().stream().filter(s -> s.getFileName().equals(name)).findFirst().orElseThrow().getSource();
    }

    private ScriptWatcher start(Recorder recorder, ScriptWatcher.Settings settings) throws Exception {
        return ScriptWatcher.start(dir, ScriptSet.read(dir), settings, recorder);
    }

    @Test
    void deliversAChangedScriptFromFileEvents() throws Exception {
        write("a.lua", "-- v1");
        Recorder recorder = new Recorder();
        // a poll interval far beyond the test: only file events can find the change
        try (ScriptWatcher watcher = start(recorder, new ScriptWatcher.Settings(Duration.ofHours(1),
                Duration.ofMillis(100), Duration.ofSeconds(2), true))) {
            write("a.lua", "-- v2");
            ScriptSet set = recorder.next();
            assertNotNull(set, "change delivered");
            assertEquals("-- v2", source(set, "a.lua"));
        }
    }

    @Test
    void pollingAloneFindsAChange() throws Exception {
        write("a.lua", "-- v1");
        Recorder recorder = new Recorder();
        try (ScriptWatcher watcher = start(recorder, new ScriptWatcher.Settings(Duration.ofMillis(100),
                Duration.ofMillis(50), Duration.ofSeconds(1), false))) {
            Thread.sleep(300); // let the first check pass, so the change is a later one
            write("b.lua", "-- new");
            ScriptSet set = recorder.next();
            assertNotNull(set, "change found by polling");
            assertEquals(java.util.List.of("a.lua", "b.lua"), set.fileNames());
        }
    }

    @Test
    void rapidSuccessiveChangesAreDeliveredOnceWithTheLastContent() throws Exception {
        write("a.lua", "-- v0");
        Recorder recorder = new Recorder();
        try (ScriptWatcher watcher = start(recorder, new ScriptWatcher.Settings(Duration.ofHours(1),
                Duration.ofSeconds(1), Duration.ofSeconds(10), true))) {
            for (int i = 1; i <= 20; i++) {
                write("a.lua", "-- v" + i);
            }
            ScriptSet set = recorder.next();
            assertNotNull(set);
            assertEquals("-- v20", source(set, "a.lua"));
            assertNull(recorder.changes.poll(2, TimeUnit.SECONDS), "one delivery for the whole burst");
        }
    }

    @Test
    void aTouchOrAnEditorsSwapFileCausesNoReload() throws Exception {
        write("a.lua", "-- v1");
        Recorder recorder = new Recorder();
        try (ScriptWatcher watcher = start(recorder, new ScriptWatcher.Settings(Duration.ofMillis(100),
                Duration.ofMillis(50), Duration.ofSeconds(1), true))) {
            Files.setLastModifiedTime(dir.resolve("a.lua"), FileTime.from(Instant.now().plusSeconds(60)));
            write(".a.lua.swp", "swap");
            write("notes.txt", "not a script");
            assertNull(recorder.changes.poll(2, TimeUnit.SECONDS), "same scripts: nothing delivered");
            write("a.lua", "-- v2");
            assertEquals("-- v2", source(recorder.next(), "a.lua"), "a real change still gets through");
        }
    }

    @Test
    void anEditMadeBeforeTheWatcherStartedIsNotMissed() throws Exception {
        write("a.lua", "-- v1");
        ScriptSet serving = ScriptSet.read(dir);
        write("a.lua", "-- v2"); // between reading the set and starting the watcher
        Recorder recorder = new Recorder();
        try (ScriptWatcher watcher = ScriptWatcher.start(dir, serving, new ScriptWatcher.Settings(Duration.ofHours(1),
                Duration.ofMillis(50), Duration.ofSeconds(1), true), recorder)) {
            assertEquals("-- v2", source(recorder.next(), "a.lua"));
        }
    }

    @Test
    void reportsAnUnreadableSetOnceAndRecovers() throws Exception {
        write("a.lua", "-- v1");
        Recorder recorder = new Recorder();
        try (ScriptWatcher watcher = start(recorder, new ScriptWatcher.Settings(Duration.ofMillis(100),
                Duration.ofMillis(50), Duration.ofSeconds(1), true))) {
            Files.write(dir.resolve("bad.lua"), new byte[] {'-', '-', (byte) 0xFF});
            ScriptSetException error = recorder.errors.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            assertNotNull(error);
            assertEquals("script 'bad.lua' is not valid UTF-8", error.getMessage());
            Files.setLastModifiedTime(dir.resolve("a.lua"), FileTime.from(Instant.now().plusSeconds(60)));
            assertNull(recorder.errors.poll(1, TimeUnit.SECONDS), "the same error is reported once");
            Files.delete(dir.resolve("bad.lua"));
            write("a.lua", "-- fixed");
            assertEquals("-- fixed", source(recorder.next(), "a.lua"));
        }
    }

    @Test
    void aSetSeenThroughAnotherReloadIsNotDeliveredAgain() throws Exception {
        write("a.lua", "-- v1");
        Recorder recorder = new Recorder();
        try (ScriptWatcher watcher = start(recorder, new ScriptWatcher.Settings(Duration.ofHours(1),
                Duration.ofMillis(300), Duration.ofSeconds(2), true))) {
            write("a.lua", "-- v2");
            watcher.seen(ScriptSet.read(dir)); // e.g. SIGHUP reloaded it first
            assertNull(recorder.changes.poll(2, TimeUnit.SECONDS));
        }
    }

    @Test
    void closeStopsTheWatcherThread() throws Exception {
        ScriptWatcher watcher = start(new Recorder(), ScriptWatcher.Settings.polling(Duration.ofMillis(100)));
        watcher.close();
        long deadline = System.nanoTime() + Duration.ofSeconds(WAIT_SECONDS).toNanos();
        while (Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals("script-watcher")
                && t.isAlive()) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().equals("script-watcher")),
                "watcher thread ended");
        watcher.close(); // idempotent
    }
}
