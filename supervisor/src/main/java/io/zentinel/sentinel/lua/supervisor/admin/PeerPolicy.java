package io.zentinel.sentinel.lua.supervisor.admin;

/**
 * Who may use the admin socket: a peer whose uid is the agent's own, or root. The socket file's
 * permissions (0600) already keep other users out; this check holds even if they are loosened.
 *
 * @param agentUid the uid the agent runs as
 */
public record PeerPolicy(long agentUid) {

    /** Whether a peer with {@code peerUid} ({@code -1} when unknown) may send commands. */
    public boolean admits(long peerUid) {
        return peerUid >= 0 && (peerUid == agentUid || peerUid == 0);
    }

    /** The message of a refusal, sent to the peer and logged. */
    public String refusal(long peerUid) {
        return peerUid < 0
                ? "the peer's uid cannot be determined; only uid " + agentUid + " (the agent's) and root may connect"
                : "uid " + peerUid + " may not use this socket; only uid " + agentUid + " (the agent's) and root may";
    }
}
