package io.zentinel.sentinel.lua.supervisor.admin;

/**
 * What the admin socket's commands do; the supervisor implements it, tests use fakes. Called on
 * an admin connection thread; may block (a reload starts worker JVMs and waits for them).
 */
public interface AdminHandler {

    /** The {@code status} command. */
    StatusReport status();

    /** The {@code reload} command: reloads the scripts directory and reports how it went. */
    ReloadReport reload();
}
