package io.zentinel.sentinel.lua.supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which admin socket {@code status} and {@code reload} use, and the packaged configuration's part in it. */
class AdminTargetTest {

    @TempDir
    Path dir;

    private Path config(String name, String adminSocket) throws Exception {
        return Files.writeString(dir.resolve(name), "admin { socket-path \"" + adminSocket + "\" }\n");
    }

    @Test
    void thePackagedConfigurationNamesTheSocketWhenNothingElseDoes() throws Exception {
        AdminTarget target = new AdminTarget(config("packaged.kdl", "/run/sentinel/lua-admin.sock"));

        assertEquals(Path.of("/run/sentinel/lua-admin.sock"), target.socketPath(Map.of()));
        assertEquals(Path.of("/run/sentinel/lua-admin.sock"), target.socketPath(Map.of("LUA_CONFIG", " ")));
    }

    @Test
    void anOptionOrTheEnvironmentComesBeforeThePackagedConfiguration() throws Exception {
        Path packaged = config("packaged.kdl", "/run/sentinel/lua-admin.sock");
        Path own = config("own.kdl", "/srv/agent/admin.sock");

        AdminTarget byEnv = new AdminTarget(packaged);
        assertEquals(Path.of("/srv/agent/admin.sock"), byEnv.socketPath(Map.of("LUA_CONFIG", own.toString())));

        AdminTarget byOption = new AdminTarget(packaged);
        byOption.config = own;
        assertEquals(Path.of("/srv/agent/admin.sock"), byOption.socketPath(Map.of()));

        AdminTarget bySocket = new AdminTarget(packaged);
        bySocket.adminSocket = Path.of("/srv/other.sock");
        assertEquals(Path.of("/srv/other.sock"), bySocket.socketPath(Map.of()));
    }

    @Test
    void withoutThePackagedConfigurationTheBuiltInDefaultApplies() {
        AdminTarget target = new AdminTarget(dir.resolve("not-installed.kdl"));

        assertEquals(Path.of("/tmp/sentinel-lua-admin.sock"), target.socketPath(Map.of()));
    }
}
