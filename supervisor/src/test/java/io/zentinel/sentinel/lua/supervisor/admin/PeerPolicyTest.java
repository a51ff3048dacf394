package io.zentinel.sentinel.lua.supervisor.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The decision on fake peer credentials; AdminServerTest also refuses a real connection from another uid. */
class PeerPolicyTest {

    @Test
    void admitsTheAgentsOwnUid() {
        assertTrue(new PeerPolicy(1000).admits(1000));
    }

    @Test
    void admitsRoot() {
        assertTrue(new PeerPolicy(1000).admits(0));
    }

    @Test
    void refusesAnotherUid() {
        PeerPolicy policy = new PeerPolicy(1000);
        assertFalse(policy.admits(1001));
        assertEquals("uid 1001 may not use this socket; only uid 1000 (the agent's) and root may",
                policy.refusal(1001));
    }

    @Test
    void refusesAPeerWhoseUidIsUnknown() {
        PeerPolicy policy = new PeerPolicy(1000);
        assertFalse(policy.admits(-1));
        assertEquals("the peer's uid cannot be determined; only uid 1000 (the agent's) and root may connect",
                policy.refusal(-1));
    }

    @Test
    void aRootAgentAdmitsRootOnly() {
        PeerPolicy policy = new PeerPolicy(0);
        assertTrue(policy.admits(0));
        assertFalse(policy.admits(65534));
    }
}
