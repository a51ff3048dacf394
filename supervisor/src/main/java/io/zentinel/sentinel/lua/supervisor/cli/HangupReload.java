package io.zentinel.sentinel.lua.supervisor.cli;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * SIGHUP reloads the scripts. The handler is installed before the agent starts: the JVM's own
 * handler for SIGHUP exits, so a SIGHUP in the agent's first moments (a {@code systemctl reload}
 * just after the start, or a script change announced at once) would otherwise stop the agent
 * instead of reloading it. A SIGHUP that arrives before the agent serves is remembered and
 * reloads once it does; further ones before then are the same reload.
 *
 * <p>A process started with SIGHUP ignored ({@code nohup}) keeps ignoring it: the JVM does not let
 * a handler replace an ignored SIGHUP. The agent then says so at start, since {@code kill -HUP}
 * would do nothing.
 *
 * <p>The signal is handled on the JVM's signal thread; each reload runs on a platform thread of
 * its own ({@code supervisor-reload}), and the agent runs reloads one at a time.
 */
final class HangupReload {
    private static final Logger LOG = LoggerFactory.getLogger(HangupReload.class);

    private final Object lock = new Object();
    private Runnable reload; // guarded by lock; null until the agent serves
    private boolean pending; // guarded by lock

    /** Installs the SIGHUP handler. */
    static HangupReload install() {
        HangupReload hangup = new HangupReload();
        SignalHandler previous = Signal.handle(new Signal("HUP"), signal -> hangup.hangup());
        if (previous == SignalHandler.SIG_IGN) {
            LOG.warn("scripts - SIGHUP is ignored by this process (started with nohup?), so it will not reload "
                    + "the scripts; use `sentinel-lua-agent reload` or scripts.hot-reload");
        }
        return hangup;
    }

    /** The agent serves: from now on a SIGHUP runs {@code reload}, and so does one received before. */
    void serving(Runnable reload) {
        boolean replay;
        synchronized (lock) {
            this.reload = reload;
            replay = pending;
            pending = false;
        }
        if (replay) {
            start(reload);
        }
    }

    /** A SIGHUP. */
    void hangup() {
        Runnable now;
        synchronized (lock) {
            if (reload == null) {
                pending = true;
                return;
            }
            now = reload;
        }
        start(now);
    }

    private static void start(Runnable reload) {
        Thread.ofPlatform().name("supervisor-reload").start(reload);
    }
}
