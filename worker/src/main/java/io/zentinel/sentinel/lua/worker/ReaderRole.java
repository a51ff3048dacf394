package io.zentinel.sentinel.lua.worker;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * Which VM thread reads the pipe: the worker's leader/follower turn-taking.
 *
 * <p>The holder reads one message; for a call it runs the call itself on its own VM and then
 * goes back to reading. So on a busy worker a call passes through no thread hand-off: handing
 * every call from a reader thread to a VM thread cost a wake-up and two context switches per
 * call, most of the worker's CPU beside LuaJ itself.
 *
 * <p>While the holder runs a call nobody reads. A waiting thread, the heir, therefore takes the
 * role over once the holder has been running one call for {@link #RELIEF_NANOS}: a slow script
 * delays the calls behind it in the pipe by about that long, and the other VMs serve them. The
 * thread that lost the role finishes its call and queues up again.
 *
 * <p>What waiting costs: only the heir watches the holder, polling every {@code RELIEF_NANOS}
 * while the worker is busy; the other waiters sleep until the heir takes over. Once the holder
 * has been reading for {@link #IDLE_NANOS} without a call, the heir sleeps too, and the holder's
 * next call wakes it; an idle worker does not poll.
 *
 * <p>{@link #close()} ends the turns: waiting threads and a holder coming back from a call are
 * told to stop.
 */
final class ReaderRole {
    /** How long the holder may run one call before a waiting thread starts reading instead. */
    static final long RELIEF_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** How long the holder reads without a call before the heir stops polling. */
    static final long IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final ReentrantLock lock = new ReentrantLock();
    /** The heir waits here; woken by a call after idleness and by {@link #close()}. */
    private final Condition heirWake = lock.newCondition();
    /** Every other waiter waits here; one is woken to become the heir when the heir takes over. */
    private final Condition queue = lock.newCondition();
    private Thread holder;
    private Thread heir;
    private boolean heirAsleep;
    /** The holder is running a call rather than reading. */
    private boolean running;
    /** When the holder last started a call or went back to reading. */
    private long since = System.nanoTime();
    private boolean closed;

    /**
     * Waits until the calling thread holds the role; returns at once if it already does.
     *
     * @return {@code false} once the turns are {@linkplain #close() closed}
     */
    boolean take() throws InterruptedException {
        Thread me = Thread.currentThread();
        lock.lock();
        try {
            while (true) {
                if (closed) {
                    if (heir == me) {
                        heir = null;
                    }
                    return false;
                }
                if (holder == me) {
                    return true;
                }
                long now = System.nanoTime();
                if (holder == null || (heir == me && running && now - since >= RELIEF_NANOS)) {
                    becomeHolder(me, now);
                    return true;
                }
                if (heir == null) {
                    heir = me;
                }
                if (heir != me) {
                    queue.await();
                } else if (running) {
                    heirAsleep = false;
                    heirWake.awaitNanos(RELIEF_NANOS - (now - since));
                } else if (now - since < IDLE_NANOS) {
                    heirAsleep = false;
                    heirWake.awaitNanos(RELIEF_NANOS);
                } else {
                    heirAsleep = true;
                    heirWake.await();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Whether the calling thread still holds the role and {@code condition} is true. The condition
     * is evaluated under the role's lock, so no other thread takes the role over (and starts
     * reading) meanwhile: it may look at the holder's input.
     */
    boolean holdsAnd(BooleanSupplier condition) {
        lock.lock();
        try {
            return holder == Thread.currentThread() && !closed && condition.getAsBoolean();
        } finally {
            lock.unlock();
        }
    }

    /** The holder stops reading to run a call. */
    void running() {
        lock.lock();
        try {
            running = true;
            since = System.nanoTime();
            if (heirAsleep) {
                heirAsleep = false;
                heirWake.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * The holder's call is done.
     *
     * @return {@code true} if the caller still holds the role and goes on reading; {@code false}
     *         if another thread took it over meanwhile (the caller {@linkplain #take() queues up})
     *         or the turns are closed
     */
    boolean resume() {
        Thread me = Thread.currentThread();
        lock.lock();
        try {
            if (holder != me || closed) {
                return false;
            }
            running = false;
            since = System.nanoTime();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Ends the turns: every waiter returns {@code false} from {@link #take()}. Idempotent. */
    void close() {
        lock.lock();
        try {
            closed = true;
            heirWake.signalAll();
            queue.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void becomeHolder(Thread me, long now) {
        holder = me;
        running = false;
        since = now;
        if (heir == me) {
            heir = null;
            queue.signal(); // a queued thread becomes the next heir
        }
    }
}
