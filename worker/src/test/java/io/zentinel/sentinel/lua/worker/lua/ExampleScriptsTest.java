package io.zentinel.sentinel.lua.worker.lua;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import io.zentinel.sentinel.lua.protocol.v1.Action;
import io.zentinel.sentinel.lua.protocol.v1.HeaderMutation;
import io.zentinel.sentinel.lua.protocol.v1.HookResult;
import io.zentinel.sentinel.lua.protocol.v1.Verdict;
import org.junit.jupiter.api.Test;

/** The example scripts of the repository's {@code scripts/} directory load and do what they say. */
class ExampleScriptsTest {
    private static final Path SCRIPTS = Path.of(System.getProperty("user.dir")).resolve("../scripts").normalize();

    private static TestVm examples() throws IOException {
        List<String> filesAndSources = new ArrayList<>();
        try (Stream<Path> files = Files.list(SCRIPTS)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".lua")).sorted().toList()) {
                filesAndSources.add(file.getFileName().toString());
                filesAndSources.add(Files.readString(file, StandardCharsets.UTF_8));
            }
        }
        assertTrue(filesAndSources.size() >= 6, "expected the example scripts in " + SCRIPTS);
        return TestVm.loaded(filesAndSources.toArray(String[]::new));
    }

    @Test
    void theAuthHeaderExampleIsTheSeedReadmeScript() throws IOException {
        String seed = TestVm.resource("seed-example.lua");
        assertTrue(Files.readString(SCRIPTS.resolve("10-auth-header.lua")).contains(seed));
    }

    @Test
    void everyExampleLoadsWithoutProblems() throws IOException {
        TestVm vm = examples();
        assertEquals(List.of("block-admin", "my-script", "security-headers"),
                vm.catalog.scripts().stream().map(s -> s.name()).toList());
    }

    @Test
    void writesToTheAdminAreaAreBlocked() throws IOException {
        TestVm vm = examples();
        for (String method : List.of("POST", "DELETE", "HEAD")) {
            HookResult result = vm.call(TestVm.requestHeaders(method, "/admin/users/1"));
            Verdict v = result.getVerdict();
            assertEquals(Action.BLOCK, v.getAction(), method);
            assertEquals(403, v.getStatus());
            assertEquals("Forbidden: the admin area is read-only", v.getBody());
            assertEquals(List.of("block-admin"), result.getScriptsRunList());
            assertTrue(v.getTagsList().contains("admin-write-blocked"));
        }
        assertEquals(Action.BLOCK, vm.call(TestVm.requestHeaders("PUT", "/admin")).getVerdict().getAction());
        assertEquals(Action.ALLOW, vm.call(TestVm.requestHeaders("GET", "/admin/users")).getVerdict().getAction());
        assertEquals(Action.ALLOW, vm.call(TestVm.requestHeaders("POST", "/administrator")).getVerdict().getAction());
    }

    @Test
    void apiRequestsNeedAuthorization() throws IOException {
        TestVm vm = examples();
        assertEquals(Action.BLOCK, vm.call(TestVm.requestHeaders("GET", "/api/users")).getVerdict().getAction());
        Verdict ok = vm.call(TestVm.requestHeaders("GET", "/api/users", "authorization", "Bearer t")).getVerdict();
        assertEquals(Action.ALLOW, ok.getAction());
        assertEquals("X-Processed-By", ok.getRequestHeaders(0).getName());
    }

    @Test
    void responsesGetSecurityHeaders() throws IOException {
        TestVm vm = examples();
        Verdict v = vm.call(TestVm.responseHeaders(200, "server", "nginx", "content-type", "text/html")).getVerdict();
        List<String> set = v.getResponseHeadersList().stream().filter(m -> m.getOp() == HeaderMutation.Op.SET)
                .map(HeaderMutation::getName).toList();
        assertEquals(List.of("Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options",
                "Referrer-Policy", "Content-Security-Policy"), set);
        List<String> removed = v.getResponseHeadersList().stream().filter(m -> m.getOp() == HeaderMutation.Op.REMOVE)
                .map(HeaderMutation::getName).toList();
        assertEquals(List.of("Server"), removed);
        assertFalse(v.getRequestHeadersList().iterator().hasNext());
    }
}
