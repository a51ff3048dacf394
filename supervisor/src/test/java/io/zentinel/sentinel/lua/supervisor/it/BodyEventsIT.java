package io.zentinel.sentinel.lua.supervisor.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.zentinel.sentinel.lua.supervisor.proxy.FakeProxy;
import io.zentinel.sentinel.lua.supervisor.proxy.ProxyCodec;
import io.zentinel.sentinel.lua.supervisor.proxy.StrictJson;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Body events through the real supervisor and worker JVMs: RequestBodyChunk and ResponseBodyChunk
 * frames with Base64 data, in several chunks as agent protocol v2 (§7.2) allows, the body hooks,
 * {@code scripts.max-body-bytes}, body replacement, {@code sentinel.ctx} across phases, and what
 * the handshake announces.
 */
class BodyEventsIT {
    private static final long WAIT_SECONDS = 30;
    private static final String BODY = "{\"name\":\"alice\",\"role\":\"admin\"}";

    @TempDir
    Path dir;

    // ---------------------------------------------------------------- event payloads (§7.2, §7.4)

    /** A RequestBodyChunk: chunk {@code index} of a body, {@code received} bytes so far including it. */
    private static String requestChunk(String id, int index, String chunk, long received, boolean last) {
        return chunk(id, "bytes_received", index, chunk, received, last);
    }

    private static String responseChunk(String id, int index, String chunk, long sent, boolean last) {
        return chunk(id, "bytes_sent", index, chunk, sent, last);
    }

    private static String chunk(String id, String counter, int index, String chunk, long count, boolean last) {
        ObjectNode root = StrictJson.mapper().createObjectNode();
        root.put(counter, count);
        root.put("chunk_index", index);
        root.put("correlation_id", id);
        root.put("data", Base64.getEncoder().encodeToString(chunk.getBytes(StandardCharsets.UTF_8)));
        root.put("is_last", last);
        root.putNull("total_size");
        return root.toString();
    }

    /** Sends {@code body} as RequestBodyChunk events of the given pieces and returns the answers in order. */
    private static List<JsonNode> sendRequestBody(FakeProxy proxy, String id, String... pieces) throws Exception {
        List<JsonNode> answers = new ArrayList<>();
        long received = 0;
        for (int i = 0; i < pieces.length; i++) {
            received += pieces[i].getBytes(StandardCharsets.UTF_8).length;
            // the proxy sends the next event of a transaction only after the answer to the previous one (§5)
            answers.add(proxy.request(ProxyCodec.REQUEST_BODY_CHUNK,
                    requestChunk(id, i, pieces[i], received, i == pieces.length - 1)).get(WAIT_SECONDS, TimeUnit.SECONDS));
        }
        return answers;
    }

    private static JsonNode send(FakeProxy proxy, int type, String json) throws Exception {
        return proxy.request(type, json).get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    private static String post(String id, String uri, String user) {
        return FakeProxy.requestHeaders(id, "POST", uri, Map.of("host", List.of("example.com"),
                "content-type", List.of("application/json"), "x-user", List.of(user)));
    }

    private static List<String> texts(JsonNode array) {
        List<String> list = new ArrayList<>();
        array.forEach(node -> list.add(node.asText()));
        return list;
    }

    private static void assertAllowed(JsonNode answer) {
        assertEquals("\"allow\"", answer.get("decision").toString(), answer.toString());
    }

    private static void assertConforming(FakeProxy... proxies) {
        for (FakeProxy proxy : proxies) {
            assertEquals(List.of(), proxy.violations());
            assertEquals(List.of(), proxy.unmatchedResponses());
        }
    }

    // ---------------------------------------------------------------- tests

    @Test
    void theBodyHooksSeeEachChunkAndThenTheWholeBody() throws Exception {
        try (AgentHarness agent = new AgentHarness(dir).script("body.lua", """
                -- name: body
                function on_request_body_chunk(request, chunk, is_last)
                    sentinel.ctx.seen = (sentinel.ctx.seen or "") .. "[" .. chunk .. "]"
                    sentinel.add_tag("chunk " .. #chunk .. " " .. tostring(is_last))
                end
                function on_request_body(request, body)
                    sentinel.add_tag("chunks " .. sentinel.ctx.seen)
                    sentinel.add_tag("body " .. body)
                    sentinel.add_tag("path " .. request:get_path())
                    if json.decode(body).role == "admin" then
                        sentinel.set_decision("block", 403, "admins are invited, not created")
                    end
                end
                """)) {
            agent.start("");
            FakeProxy proxy = agent.connect();
            assertAllowed(send(proxy, ProxyCodec.REQUEST_HEADERS, post("b1", "/api/users", "alice")));

            List<JsonNode> answers = sendRequestBody(proxy, "b1", "{\"name\":\"al", "ice\",\"role\":\"ad", "min\"}");

            // earlier chunks: on_request_body_chunk ran, and the agent allowed so that the proxy goes on;
            // needs_more stays false, the proxy ignores it for body events (§8.1)
            assertAllowed(answers.get(0));
            assertFalse(answers.get(0).get("needs_more").asBoolean());
            assertEquals(List.of("lua:body", "chunk 11 false"), texts(answers.get(0).at("/audit/tags")));
            assertAllowed(answers.get(1));
            assertEquals(List.of("lua:body", "chunk 15 false"), texts(answers.get(1).at("/audit/tags")));

            // the last chunk: the chunk hook, then on_request_body with the whole body
            JsonNode last = answers.get(2);
            assertEquals(403, last.at("/decision/block/status").asInt(), last.toString());
            assertEquals("admins are invited, not created", last.at("/decision/block/body").asText());
            assertEquals(List.of("lua:body", "chunk 5 true",
                    "chunks [{\"name\":\"al][ice\",\"role\":\"ad][min\"}]",
                    "body " + BODY, "path /api/users"), texts(last.at("/audit/tags")));
            assertEquals(List.of("body"), texts(last.at("/audit/rule_ids")));
            assertEquals("b1", last.at("/audit/custom/correlation_id").asText());

            // the body of another transaction starts from nothing
            assertAllowed(send(proxy, ProxyCodec.REQUEST_HEADERS, post("b2", "/api/users", "bob")));
            JsonNode single = sendRequestBody(proxy, "b2", "{\"role\":\"user\"}").getFirst();
            assertAllowed(single);
            assertEquals(List.of("lua:body", "chunk 15 true", "chunks [{\"role\":\"user\"}]",
                    "body {\"role\":\"user\"}", "path /api/users"), texts(single.at("/audit/tags")));
            assertConforming(proxy);
        }
    }

    @Test
    void aBodyOverMaxBodyBytesGetsTheFailureModeWithoutReachingTheHook() throws Exception {
        try (AgentHarness agent = new AgentHarness(dir).script("body.lua", """
                function on_request_body(request, body)
                    sentinel.set_decision("block", 418, "the hook ran")
                end
                """)) {
            agent.start("max-body-bytes 40", "safety { fail-open false }");
            FakeProxy proxy = agent.connect();

            // as the proxy sends it today: the whole body in one event
            send(proxy, ProxyCodec.REQUEST_HEADERS, post("big", "/upload", "alice"));
            JsonNode tooLarge = sendRequestBody(proxy, "big", "x".repeat(41)).getFirst();
            assertEquals(500, tooLarge.at("/decision/block/status").asInt(), tooLarge.toString());
            assertEquals("Lua agent failure", tooLarge.at("/decision/block/body").asText());
            assertEquals(List.of("lua-agent:fail-closed", "lua-agent:body-limit"), texts(tooLarge.at("/audit/tags")));
            assertEquals(List.of("body-limit"), texts(tooLarge.at("/audit/reason_codes")));

            // exactly at the limit, the hook runs
            send(proxy, ProxyCodec.REQUEST_HEADERS, post("fits", "/upload", "alice"));
            JsonNode fits = sendRequestBody(proxy, "fits", "x".repeat(40)).getFirst();
            assertEquals(418, fits.at("/decision/block/status").asInt(), fits.toString());
            assertEquals("the hook ran", fits.at("/decision/block/body").asText());
            assertConforming(proxy);
        }
    }

    @Test
    void chunksPastTheLimitAreAllowedWithAuditTagsWhenFailingOpen() throws Exception {
        try (AgentHarness agent = new AgentHarness(dir).script("body.lua", """
                function on_request_body(request, body)
                    sentinel.set_decision("block", 418, "the hook ran")
                end
                """)) {
            agent.start("max-body-bytes 40", "safety { fail-open true }");
            FakeProxy proxy = agent.connect();
            send(proxy, ProxyCodec.REQUEST_HEADERS, post("big", "/upload", "alice"));

            List<JsonNode> answers = sendRequestBody(proxy, "big", "a".repeat(30), "b".repeat(30), "c".repeat(5));

            assertAllowed(answers.get(0));
            assertEquals(List.of(), texts(answers.get(0).at("/audit/tags")), "no hook for a chunk, no failure yet");
            for (JsonNode over : answers.subList(1, 3)) {
                assertAllowed(over);
                assertEquals(List.of("lua-agent:fail-open", "lua-agent:body-limit"), texts(over.at("/audit/tags")));
                assertEquals(List.of("body-limit"), texts(over.at("/audit/reason_codes")));
            }
            // the next transaction is buffered afresh
            send(proxy, ProxyCodec.REQUEST_HEADERS, post("next", "/upload", "alice"));
            JsonNode next = sendRequestBody(proxy, "next", "d".repeat(20), "e".repeat(20)).get(1);
            assertEquals(418, next.at("/decision/block/status").asInt(), next.toString());
            assertConforming(proxy);
        }
    }

    @Test
    void aBodyNoScriptHooksIsAllowedWhateverItsSize() throws Exception {
        try (AgentHarness agent = new AgentHarness(dir).script("headers.lua", """
                function on_request_headers(request)
                    sentinel.add_tag("headers")
                end
                """)) {
            agent.start("max-body-bytes 40", "safety { fail-open false }");
            FakeProxy proxy = agent.connect();
            JsonNode headers = send(proxy, ProxyCodec.REQUEST_HEADERS, post("h1", "/upload", "alice"));
            assertEquals(List.of("lua:headers", "headers"), texts(headers.at("/audit/tags")));

            // a proxy configured to send bodies to an agent whose scripts read none
            List<JsonNode> answers = sendRequestBody(proxy, "h1", "x".repeat(1000), "y".repeat(1000));
            for (JsonNode answer : answers) {
                assertAllowed(answer);
                assertEquals(List.of(), texts(answer.at("/audit/tags")), answer.toString());
            }
            assertConforming(proxy);
        }
    }

    @Test
    void theResponseBodyHookSeesTheWholeBodyAndReplacesIt() throws Exception {
        try (AgentHarness agent = new AgentHarness(dir).script("filter.lua", """
                -- name: filter
                function on_request_body(request, body)
                    sentinel.replace_body(string.upper(body))
                end
                function on_response_body(response, body)
                    local doc = json.decode(body)
                    doc.secret = nil
                    sentinel.add_tag("status " .. response:get_status())
                    sentinel.add_tag("request " .. response:get_request():get_path())
                    sentinel.replace_body(json.encode(doc))
                end
                """)) {
            agent.start("");
            FakeProxy proxy = agent.connect();
            send(proxy, ProxyCodec.REQUEST_HEADERS, post("r1", "/api/users", "alice"));

            JsonNode request = sendRequestBody(proxy, "r1", "{\"a\":", "1}").get(1);
            assertAllowed(request);
            // a request body replacement travels as text, for chunk 1 (the proxy does not apply it today)
            assertEquals("{\"A\":1}", request.at("/request_body_mutation/data").asText());
            assertEquals(1, request.at("/request_body_mutation/chunk_index").asInt());
            assertTrue(request.get("response_body_mutation").isNull());

            assertAllowed(send(proxy, ProxyCodec.RESPONSE_HEADERS, FakeProxy.responseHeaders("r1", 200)));
            JsonNode first = send(proxy, ProxyCodec.RESPONSE_BODY_CHUNK,
                    responseChunk("r1", 0, "{\"id\":42,\"sec", 13, false));
            assertAllowed(first);
            assertTrue(first.get("response_body_mutation").isNull(), first.toString());
            assertEquals(List.of(), texts(first.at("/audit/tags")), "no hook runs before the body is complete");

            JsonNode last = send(proxy, ProxyCodec.RESPONSE_BODY_CHUNK,
                    responseChunk("r1", 1, "ret\":\"s3\"}", 24, true));
            assertAllowed(last);
            assertEquals(List.of("lua:filter", "status 200", "request /api/users"), texts(last.at("/audit/tags")));
            // a response body replacement is Base64; the proxy decodes it and replaces the whole body
            String replaced = new String(Base64.getDecoder().decode(last.at("/response_body_mutation/data").asText()),
                    StandardCharsets.UTF_8);
            assertEquals("{\"id\":42}", replaced);
            assertEquals(1, last.at("/response_body_mutation/chunk_index").asInt());
            assertTrue(last.get("request_body_mutation").isNull());
            assertConforming(proxy);
        }
    }

    @Test
    void ctxWrittenForTheRequestHeadersIsReadInTheBodyAndResponsePhases() throws Exception {
        try (AgentHarness agent = new AgentHarness(dir).script("ctx.lua", """
                -- name: ctx
                function on_request_headers(request)
                    sentinel.ctx.user = request:get_header("x-user")
                    sentinel.ctx.trail = {"headers"}
                end
                function on_request_body(request, body)
                    table.insert(sentinel.ctx.trail, "body")
                    sentinel.ctx.body_bytes = #body
                    sentinel.add_tag("body sees " .. sentinel.ctx.user)
                end
                function on_response_headers(response)
                    table.insert(sentinel.ctx.trail, "response")
                    response:set_header("X-User", sentinel.ctx.user)
                end
                function on_response_body(response, body)
                    sentinel.add_tag("trail " .. table.concat(sentinel.ctx.trail, ",")
                        .. " " .. sentinel.ctx.user .. " " .. sentinel.ctx.body_bytes)
                end
                """)) {
            agent.start("workers { count 2 }");
            // the phases of a transaction may come on different connections (§4); two transactions interleave
            FakeProxy a = agent.connect();
            FakeProxy b = agent.connect();
            FakeProxy c = agent.connect();
            send(a, ProxyCodec.REQUEST_HEADERS, post("t-alice", "/api/users", "alice"));
            send(b, ProxyCodec.REQUEST_HEADERS, post("t-bob", "/api/users", "bob"));
            JsonNode bobBody = sendRequestBody(b, "t-bob", "{}").getFirst();
            JsonNode aliceBody = sendRequestBody(a, "t-alice", BODY).getFirst();
            assertEquals(List.of("lua:ctx", "body sees alice"), texts(aliceBody.at("/audit/tags")));
            assertEquals(List.of("lua:ctx", "body sees bob"), texts(bobBody.at("/audit/tags")));

            JsonNode aliceHeaders = send(c, ProxyCodec.RESPONSE_HEADERS, FakeProxy.responseHeaders("t-alice", 201));
            JsonNode bobHeaders = send(a, ProxyCodec.RESPONSE_HEADERS, FakeProxy.responseHeaders("t-bob", 200));
            assertEquals("alice", aliceHeaders.at("/response_headers/0/set/value").asText(), aliceHeaders.toString());
            assertEquals("bob", bobHeaders.at("/response_headers/0/set/value").asText(), bobHeaders.toString());

            JsonNode aliceEnd = send(b, ProxyCodec.RESPONSE_BODY_CHUNK, responseChunk("t-alice", 0, "{}", 2, true));
            JsonNode bobEnd = send(c, ProxyCodec.RESPONSE_BODY_CHUNK, responseChunk("t-bob", 0, "{}", 2, true));
            assertEquals(List.of("lua:ctx", "trail headers,body,response alice 31"), texts(aliceEnd.at("/audit/tags")));
            assertEquals(List.of("lua:ctx", "trail headers,body,response bob 2"), texts(bobEnd.at("/audit/tags")));
            assertConforming(a, b, c);
        }
    }

    @Test
    void theHandshakeListsBodyEventsOnlyWhenAScriptHooksThem() throws Exception {
        assertEquals(List.of(1, 3), announced("headers", "function on_request_headers(request) end"));
        assertEquals(List.of(1, 2, 3), announced("chunk", "function on_request_body_chunk(request, chunk, last) end"));
        assertEquals(List.of(1, 2, 3), announced("request", "function on_request_body(request, body) end"));
        assertEquals(List.of(1, 3, 4), announced("response", "function on_response_body(response, body) end"));
    }

    /** The supported_events of an agent running {@code source} alone; checks streaming_body and max_body_size too. */
    private List<Integer> announced(String name, String source) throws Exception {
        try (AgentHarness agent = new AgentHarness(Files.createDirectories(dir.resolve(name)))
                .script(name + ".lua", source)) {
            agent.start("max-body-bytes 4096", "workers { count 1 }");
            try (FakeProxy proxy = FakeProxy.connect(agent.socket())) {
                JsonNode capabilities = proxy.handshake().get("capabilities");
                List<Integer> events = new ArrayList<>();
                capabilities.get("supported_events").forEach(e -> events.add(e.asInt()));
                boolean body = events.contains(2) || events.contains(4);
                assertEquals(body, capabilities.at("/features/streaming_body").asBoolean(), capabilities.toString());
                assertEquals(4096, capabilities.at("/limits/max_body_size").asLong());
                return events;
            }
        }
    }
}
