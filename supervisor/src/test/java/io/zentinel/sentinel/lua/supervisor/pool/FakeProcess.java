package io.zentinel.sentinel.lua.supervisor.pool;

import io.zentinel.sentinel.lua.protocol.frame.FrameReader;
import io.zentinel.sentinel.lua.protocol.frame.FrameWriter;
import io.zentinel.sentinel.lua.protocol.v1.SupervisorMessage;
import io.zentinel.sentinel.lua.protocol.v1.WorkerMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link Process} without an operating-system process, for {@link WorkerHandle} tests: the
 * test plays the worker through {@link #received(Duration)} and {@link #send(WorkerMessage)}.
 * {@code destroyForcibly} ends it with 137 (after {@link #exitsAfterSigkill(Duration)}, if set);
 * {@code destroy} with 143 unless it {@link #ignoresSigterm()}. The exit is reported on a separate
 * thread, as the JDK's reaper does.
 */
final class FakeProcess extends Process {
    private final BytePipe stdin = new BytePipe();
    private final BytePipe stdout = new BytePipe();
    private final BytePipe stderr = new BytePipe();
    private final CompletableFuture<Process> exited = new CompletableFuture<>();
    private final BlockingQueue<SupervisorMessage> received = new LinkedBlockingQueue<>();
    private final FrameWriter toSupervisor = new FrameWriter(stdout.out, WorkerHandle.PIPE_LIMITS);
    private volatile int exitValue = -1;
    private volatile boolean ignoreSigterm;
    private volatile Duration sigkillDelay = Duration.ZERO;
    final AtomicInteger sigterms = new AtomicInteger();
    final AtomicInteger sigkills = new AtomicInteger();

    FakeProcess() {
        Thread.ofPlatform().daemon().name("fake-worker-stdin").start(() -> {
            FrameReader reader = new FrameReader(stdin.in, WorkerHandle.PIPE_LIMITS);
            try {
                byte[] frame;
                while ((frame = reader.read()) != null) {
                    received.add(SupervisorMessage.parseFrom(frame));
                }
            } catch (IOException e) {
                // stdin closed by exit
            }
        });
    }

    FakeProcess ignoresSigterm() {
        ignoreSigterm = true;
        return this;
    }

    /** SIGKILL ends the process only {@code delay} later, as a busy machine may take a while to. */
    FakeProcess exitsAfterSigkill(Duration delay) {
        sigkillDelay = delay;
        return this;
    }

    /** The next frame the supervisor wrote, or {@code null} after {@code timeout}. */
    SupervisorMessage received(Duration timeout) throws InterruptedException {
        return received.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    void send(WorkerMessage message) throws IOException {
        toSupervisor.write(message.toByteArray());
    }

    /** Writes raw bytes on stdout (to break the protocol). */
    void sendRaw(byte[] bytes) throws IOException {
        stdout.out.write(bytes);
    }

    /** Stops reading stdin without exiting: writes fail. */
    void closeStdin() {
        stdin.closeRead();
    }

    /** Closes stdout without exiting. */
    void closeStdout() {
        stdout.closeWrite();
    }

    /** The worker exits on its own with {@code status}. */
    void exit(int status) {
        synchronized (this) {
            if (exitValue >= 0) {
                return;
            }
            exitValue = status;
        }
        stdout.closeWrite();
        stderr.closeWrite();
        stdin.closeRead();
        Thread.ofPlatform().daemon().name("fake-reaper").start(() -> exited.complete(this));
    }

    @Override
    public OutputStream getOutputStream() {
        return stdin.out;
    }

    @Override
    public InputStream getInputStream() {
        return stdout.in;
    }

    @Override
    public InputStream getErrorStream() {
        return stderr.in;
    }

    @Override
    public int waitFor() throws InterruptedException {
        try {
            exited.get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e);
        }
        return exitValue;
    }

    @Override
    public int exitValue() {
        if (!exited.isDone()) {
            throw new IllegalThreadStateException("process has not exited");
        }
        return exitValue;
    }

    @Override
    public void destroy() {
        sigterms.incrementAndGet();
        if (!ignoreSigterm) {
            exit(143);
        }
    }

    @Override
    public Process destroyForcibly() {
        sigkills.incrementAndGet();
        Duration delay = sigkillDelay;
        if (delay.isZero()) {
            exit(137);
        } else {
            Thread.ofPlatform().daemon().name("fake-sigkill").start(() -> {
                try {
                    TimeUnit.NANOSECONDS.sleep(delay.toNanos());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                exit(137);
            });
        }
        return this;
    }

    @Override
    public boolean isAlive() {
        return !exited.isDone();
    }

    @Override
    public CompletableFuture<Process> onExit() {
        return exited;
    }

    @Override
    public long pid() {
        return 4242;
    }
}
