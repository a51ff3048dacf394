package io.zentinel.sentinel.lua.supervisor.watch;

import io.zentinel.sentinel.lua.protocol.v1.ScriptSource;
import io.zentinel.sentinel.lua.supervisor.pool.ScriptSet;
import io.zentinel.sentinel.lua.supervisor.pool.ScriptSetException;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the scripts directory for {@code scripts.hot-reload} and hands each changed script set
 * to a {@link Listener}.
 *
 * <p>Two sources of change, because file events are not reliable everywhere (network and FUSE
 * file systems, a directory replaced through a symlink, an overflowing event queue):
 * <ul>
 * <li>{@link WatchService} events on the directory, any entry;</li>
 * <li>a poll every {@code scripts.watch-interval} that compares the names, sizes, modification
 *     times and file keys of the {@code *.lua} files with the previous poll.</li>
 * </ul>
 * Changes are debounced ({@link #QUIET} after the last one, at most {@link #MAX_DELAY} after the
 * first), then the set is read and compared by content with the set last handed over (or
 * started with): an editor's swap file or a {@code touch} causes no reload. A set that cannot be
 * read is reported once per distinct error.
 *
 * <p>Threads: one platform daemon thread {@code script-watcher} waits for events, polls, and calls
 * the listener; a listener that takes long (a reload starts worker JVMs) delays the next check,
 * and changes made meanwhile are picked up afterwards. Changes during the first check after
 * {@link #start} are compared with the set the agent started on, so an edit between reading the
 * set and starting the watcher is not missed.
 */
public final class ScriptWatcher implements AutoCloseable {
    /** Quiet time after the last change before the set is read. */
    public static final Duration QUIET = Duration.ofMillis(200);
    /** Longest time from the first change of a burst to reading the set. */
    public static final Duration MAX_DELAY = Duration.ofSeconds(2);

    private static final Logger LOG = LoggerFactory.getLogger(ScriptWatcher.class);

    /** Receives changes, on the watcher thread. */
    public interface Listener {
        /** The directory now holds {@code scripts}, which differ from the set last seen. */
        void changed(ScriptSet scripts);

        /** The directory changed but its scripts cannot be read (reported once per distinct error). */
        void unreadable(ScriptSetException error);
    }

    /**
     * Timing of the watcher.
     *
     * @param pollInterval    scripts.watch-interval
     * @param quiet           see {@link #QUIET}
     * @param maxDelay        see {@link #MAX_DELAY}
     * @param useWatchService {@code false} to rely on polling alone (tests of the fallback)
     */
    public record Settings(Duration pollInterval, Duration quiet, Duration maxDelay, boolean useWatchService) {
        public Settings {
            if (pollInterval.isNegative() || pollInterval.isZero()) {
                throw new IllegalArgumentException("pollInterval must be > 0 (was " + pollInterval + ")");
            }
        }

        public static Settings polling(Duration pollInterval) {
            return new Settings(pollInterval, QUIET, MAX_DELAY, true);
        }
    }

    private final Path directory;
    private final Settings settings;
    private final Listener listener;
    private final ChangeDebouncer debouncer;
    private final WatchService watchService;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile List<ScriptSource> lastSeen;
    // watcher thread only
    private WatchKey key;
    private List<String> lastFingerprint;
    private String lastError;

    private ScriptWatcher(Path directory, ScriptSet serving, Settings settings, Listener listener,
                          WatchService watchService) {
        this.directory = directory;
        this.settings = settings;
        this.listener = listener;
        this.watchService = watchService;
        this.debouncer = new ChangeDebouncer(settings.quiet(), settings.maxDelay());
        this.lastSeen = serving.sources();
        this.thread = Thread.ofPlatform().daemon().name("script-watcher").unstarted(this::loop);
        this.thread.setUncaughtExceptionHandler((t, e) ->
                LOG.error("scripts - the watcher of {} stopped on an unexpected error; hot reload is off", directory, e));
    }

    /**
     * Starts watching {@code directory}, whose scripts are {@code serving} now.
     *
     * @throws IOException when no WatchService can be created (polling alone is not silently assumed)
     */
    public static ScriptWatcher start(Path directory, ScriptSet serving, Settings settings, Listener listener)
            throws IOException {
        Objects.requireNonNull(listener, "listener");
        WatchService service = settings.useWatchService() ? directory.getFileSystem().newWatchService() : null;
        ScriptWatcher watcher = new ScriptWatcher(directory, serving, settings, listener, service);
        watcher.thread.start();
        LOG.info("scripts - watching {} for changes (file events{}, poll every {} ms)", directory,
                service == null ? " off" : "", settings.pollInterval().toMillis());
        return watcher;
    }

    /** Tells the watcher that {@code scripts} were loaded (or tried) by other means, e.g. SIGHUP. */
    public void seen(ScriptSet scripts) {
        lastSeen = scripts.sources();
    }

    private void loop() {
        register();
        lastFingerprint = fingerprint();
        debouncer.changed(System.nanoTime()); // first check: compare with the set the agent started on
        long nextPoll = System.nanoTime() + settings.pollInterval().toNanos();
        while (running) {
            long now = System.nanoTime();
            long wakeAt = debouncer.pending() && debouncer.dueAt() - nextPoll < 0 ? debouncer.dueAt() : nextPoll;
            try {
                if (!awaitEvents(Math.max(0, wakeAt - now))) {
                    return;
                }
            } catch (InterruptedException e) {
                return;
            }
            now = System.nanoTime();
            if (now - nextPoll >= 0) {
                nextPoll = now + settings.pollInterval().toNanos();
                if (key == null || !key.isValid()) {
                    register();
                }
                if (!fingerprint().equals(lastFingerprint)) {
                    LOG.debug("scripts - poll found a change in {}", directory);
                    debouncer.changed(now);
                }
            }
            if (debouncer.isDue(now)) {
                debouncer.clear();
                check();
            }
        }
    }

    /** Waits up to {@code nanos} for file events; returns {@code false} once closed. */
    private boolean awaitEvents(long nanos) throws InterruptedException {
        if (watchService == null) {
            Thread.sleep(Duration.ofNanos(nanos));
            return running;
        }
        try {
            WatchKey signalled = watchService.poll(nanos, TimeUnit.NANOSECONDS);
            while (signalled != null) {
                int events = signalled.pollEvents().size();
                if (events > 0) {
                    debouncer.changed(System.nanoTime());
                }
                if (!signalled.reset()) {
                    LOG.warn("scripts - {} can no longer be watched (removed or replaced?); polling until it is back",
                            directory);
                    key = null;
                }
                signalled = watchService.poll();
            }
            return running;
        } catch (ClosedWatchServiceException e) {
            return false;
        }
    }

    private void register() {
        if (watchService == null || !Files.isDirectory(directory)) {
            return;
        }
        try {
            key = directory.register(watchService, StandardWatchEventKinds.ENTRY_CREATE,
                    StandardWatchEventKinds.ENTRY_DELETE, StandardWatchEventKinds.ENTRY_MODIFY);
        } catch (IOException | ClosedWatchServiceException e) {
            LOG.debug("scripts - cannot watch {} ({}); polling only", directory, e.toString());
        }
    }

    /** Reads the set and hands it over if its content differs from the last one seen. */
    private void check() {
        lastFingerprint = fingerprint(); // before reading, so a change made while reading is seen next time
        ScriptSet scripts;
        try {
            scripts = ScriptSet.read(directory);
        } catch (ScriptSetException e) {
            if (!e.getMessage().equals(lastError)) {
                lastError = e.getMessage();
                listener.unreadable(e);
            }
            return;
        }
        lastError = null;
        if (scripts.sources().equals(lastSeen)) {
            LOG.debug("scripts - {} changed on disk but the scripts are the same; no reload", directory);
            return;
        }
        lastSeen = scripts.sources();
        LOG.info("scripts - change detected in {}: {}", directory, scripts.fileNames());
        try {
            listener.changed(scripts);
        } catch (RuntimeException e) {
            LOG.error("scripts - handling the change of {} failed", directory, e);
        }
    }

    /**
     * Names, sizes, modification times and keys of the {@code *.lua} files (following symlinks,
     * as {@link ScriptSet#read} does), or the reason they cannot be listed.
     */
    List<String> fingerprint() {
        List<String> entries = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*.lua")) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                if (name.startsWith(".")) {
                    continue;
                }
                try {
                    BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
                    entries.add(name + '\0' + a.size() + '\0' + a.lastModifiedTime() + '\0' + a.fileKey());
                } catch (IOException e) {
                    entries.add(name + '\0' + e);
                }
            }
        } catch (IOException e) {
            return List.of("unreadable: " + e);
        }
        entries.sort(null);
        return entries;
    }

    /** Stops watching; waits briefly for a check in progress. Idempotent. */
    @Override
    public void close() {
        if (!running) {
            return;
        }
        running = false;
        if (watchService != null) {
            try {
                watchService.close();
            } catch (IOException e) {
                LOG.debug("scripts - closing the watch service: {}", e.toString());
            }
        }
        thread.interrupt();
        try {
            thread.join(Duration.ofSeconds(1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
