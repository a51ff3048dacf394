package io.zentinel.sentinel.lua.supervisor.pool;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * A {@link WorkerFactory} of {@link FakeWorker}s: each launch takes the next planned behaviour,
 * or the default one. Remembers every worker and when it was created.
 */
final class FakeWorkers implements WorkerFactory {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition created = lock.newCondition();
    private final Deque<FakeWorker.Behaviour> plan = new ArrayDeque<>();
    private volatile FakeWorker.Behaviour fallback;
    private volatile boolean launchFails;
    final List<FakeWorker> workers = new CopyOnWriteArrayList<>();
    final List<Long> createdNanos = new CopyOnWriteArrayList<>();
    /** The pool's scheduler, as handed to the last launch. */
    volatile ScheduledExecutorService timer;

    FakeWorkers(FakeWorker.Behaviour fallback) {
        this.fallback = fallback;
    }

    /** The next launches get these behaviours, in order. */
    FakeWorkers then(FakeWorker.Behaviour... behaviours) {
        lock.lock();
        try {
            plan.addAll(List.of(behaviours));
        } finally {
            lock.unlock();
        }
        return this;
    }

    /** Launches after the plan is used up. */
    void fallback(FakeWorker.Behaviour behaviour) {
        this.fallback = behaviour;
    }

    /** Every later launch throws, as when the java executable is missing. */
    void failLaunches(boolean fail) {
        this.launchFails = fail;
    }

    @Override
    public WorkerChannel create(int workerId, ScheduledExecutorService timer) throws IOException {
        this.timer = timer;
        if (launchFails) {
            createdNanos.add(System.nanoTime());
            throw new IOException("Cannot run program \"/no/java\": error=2, No such file or directory");
        }
        lock.lock();
        try {
            FakeWorker.Behaviour behaviour = plan.isEmpty() ? fallback : plan.poll();
            FakeWorker worker = new FakeWorker(workerId, behaviour);
            workers.add(worker);
            createdNanos.add(System.nanoTime());
            created.signalAll();
            return worker;
        } finally {
            lock.unlock();
        }
    }

    /** The worker with this id: workers of one generation start at once, so not always in id order. */
    FakeWorker byId(int id) {
        return workers.stream().filter(w -> w.id() == id).findFirst()
                .orElseThrow(() -> new AssertionError("no worker-" + id + " was created"));
    }

    /** Waits until at least {@code n} workers were created; returns the n-th (1-based). */
    FakeWorker awaitWorker(int n, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while (workers.size() < n) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("only " + workers.size() + " workers created, expected " + n);
                }
                created.awaitNanos(left);
            }
            return workers.get(n - 1);
        } finally {
            lock.unlock();
        }
    }

    /** Polls {@code condition} until true or fails after {@code timeout}. */
    static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            TimeUnit.MILLISECONDS.sleep(5);
        }
    }
}
