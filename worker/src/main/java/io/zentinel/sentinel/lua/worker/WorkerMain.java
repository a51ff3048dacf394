package io.zentinel.sentinel.lua.worker;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.OutputStream;

import io.zentinel.sentinel.lua.protocol.WorkerExit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry point of a worker JVM: {@code java [flags] -cp <worker classpath>
 * io.zentinel.sentinel.lua.worker.WorkerMain}, no arguments.
 *
 * <p>stdin carries {@code SupervisorMessage} frames, stdout {@code WorkerMessage} frames and
 * nothing else: the frame stream is taken from {@link FileDescriptor#out} before
 * {@code System.out} is pointed at stderr, where all logging goes (SLF4J, bound by packaging).
 * The JVM must run with {@code -XX:+DisplayVMOutputToStderr -Xlog:disable -Xlog:all=warning:stderr}
 * so its own messages (warnings, the out-of-memory exit, a fatal error report) stay off stdout,
 * and with {@code -XX:+ExitOnOutOfMemoryError}.
 *
 * <p>Exit status ({@link WorkerExit}): 0 after {@code Shutdown} or when stdin ends (the
 * supervisor is gone), 65 for a bad frame, 70 when any thread dies of an unexpected exception
 * or error (every thread's uncaught exceptions, and any {@code Error} on a Lua VM thread), 3
 * from HotSpot on heap exhaustion.
 */
public final class WorkerMain {
    private static final Logger LOG = LoggerFactory.getLogger(WorkerMain.class);

    private WorkerMain() {
    }

    public static void main(String[] args) {
        OutputStream frames = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 64 * 1024);
        System.setOut(System.err);
        Thread.setDefaultUncaughtExceptionHandler(
                (thread, e) -> die(WorkerExit.SOFTWARE, "uncaught exception in thread " + thread.getName(), e));
        if (args.length > 0) {
            LOG.warn("worker - ignoring {} command-line arguments: configuration comes in the init frame", args.length);
        }
        // the frame reader buffers for itself; System.in's own buffer would cost a system call per read
        WorkerLoop loop = new WorkerLoop(new FileInputStream(FileDescriptor.in), frames, WorkerMain::die);
        WorkerExit status = loop.run();
        System.exit(status.code());
    }

    /** Logs why, then ends the process with {@code status} at once (no shutdown hooks to wait for). */
    static void die(WorkerExit status, String reason, Throwable cause) {
        try {
            if (status == WorkerExit.RETIRED) {
                LOG.info("worker - {}, exiting", reason);
            } else {
                LOG.error("worker - {}, exiting with {}", reason, status.code(), cause);
            }
            System.err.flush();
        } catch (Throwable ignored) {
            // out of memory while logging: exiting matters more
        }
        Runtime.getRuntime().halt(status.code());
    }
}
