package io.zentinel.sentinel.lua.worker.lua;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import io.zentinel.sentinel.lua.protocol.v1.Action;
import io.zentinel.sentinel.lua.protocol.v1.FailureKind;
import io.zentinel.sentinel.lua.protocol.v1.Header;
import io.zentinel.sentinel.lua.protocol.v1.HeaderMutation;
import io.zentinel.sentinel.lua.protocol.v1.HookCall;
import io.zentinel.sentinel.lua.protocol.v1.HookResult;
import io.zentinel.sentinel.lua.protocol.v1.Metadata;
import io.zentinel.sentinel.lua.protocol.v1.RequestInfo;
import io.zentinel.sentinel.lua.protocol.v1.Verdict;
import io.zentinel.sentinel.lua.worker.sandbox.RunLimits;
import org.junit.jupiter.api.Test;

/** Calls through scripts: the seed example, the Rust agent's table form, chains. */
class LuaBridgeTest {
    private static final String SEED = TestVm.resource("seed-example.lua");

    static HeaderMutation add(String name, String value) {
        return HeaderMutation.newBuilder().setOp(HeaderMutation.Op.ADD).setName(name).setValue(value).build();
    }

    static HeaderMutation set(String name, String value) {
        return HeaderMutation.newBuilder().setOp(HeaderMutation.Op.SET).setName(name).setValue(value).build();
    }

    static HeaderMutation remove(String name) {
        return HeaderMutation.newBuilder().setOp(HeaderMutation.Op.REMOVE).setName(name).build();
    }

    static Verdict verdict(HookResult result) {
        assertTrue(result.hasVerdict(), () -> "expected a verdict but got " + result.getFailure());
        return result.getVerdict();
    }

    @Test
    void theSeedExampleBlocksARequestWithoutAuthorization() {
        TestVm vm = TestVm.loaded("my-script.lua", SEED);
        HookResult result = vm.call(TestVm.requestHeaders("GET", "/api/users?id=1", "accept", "*/*"));
        Verdict v = verdict(result);
        assertEquals(7, result.getCallId());
        assertEquals(Action.BLOCK, v.getAction());
        assertEquals(403, v.getStatus());
        assertEquals("Forbidden", v.getBody());
        assertEquals(List.of(add("X-Processed-By", "my-script")), v.getRequestHeadersList());
        assertEquals(List.of("my-script"), result.getScriptsRunList());
        assertEquals(List.of("lua:my-script"), v.getTagsList());
        assertEquals(List.of("my-script"), v.getRuleIdsList());
        assertTrue(result.getStats().getInstructions() > 0);
    }

    @Test
    void theSeedExampleAllowsARequestWithAuthorizationAndAddsItsHeader() {
        TestVm vm = TestVm.loaded("my-script.lua", SEED);
        Verdict v = verdict(vm.call(TestVm.requestHeaders("POST", "/api/users", "authorization", "Bearer abc")));
        assertEquals(Action.ALLOW, v.getAction());
        assertFalse(v.hasBody());
        assertEquals(List.of(add("X-Processed-By", "my-script")), v.getRequestHeadersList());
        assertEquals(List.of(), v.getRuleIdsList());
    }

    @Test
    void theSeedExampleRunsOnlyForItsPathsAndMethods() {
        TestVm vm = TestVm.loaded("my-script.lua", SEED);
        for (var call : List.of(TestVm.requestHeaders("GET", "/other"), TestVm.requestHeaders("DELETE", "/api/users"),
                TestVm.requestHeaders("GET", "/api/users/1"))) {
            HookResult result = vm.call(call);
            assertEquals(Action.ALLOW, verdict(result).getAction());
            assertEquals(List.of(), result.getScriptsRunList());
            assertEquals(List.of(), verdict(result).getRequestHeadersList());
        }
    }

    @Test
    void aRustAgentScriptReturningATableBlocks() {
        TestVm vm = TestVm.loaded("policy.lua", """
                function on_request_headers()
                    if request.uri:match("^/admin") and not request.client_ip:match("^10%.") then
                        return { decision = "block", status = 403, body = "Access denied", tags = {"admin"},
                                 rule_ids = {"SEC-001"}, confidence = 0.9, reason_codes = {"ADMIN"} }
                    end
                    return {
                        decision = "allow",
                        add_request_headers = { ["X-Processed-By"] = "lua-agent" },
                        remove_request_headers = { "Cookie" },
                        add_response_headers = { ["X-Frame-Options"] = "DENY" },
                        remove_response_headers = { "Server" },
                        metadata = { upstream = "api-v2" },
                        routing_metadata = { priority = "high" },
                        needs_more = true,
                    }
                end
                """);
        Verdict blocked = verdict(vm.call(TestVm.requestHeaders("GET", "/admin/users")));
        assertEquals(Action.BLOCK, blocked.getAction());
        assertEquals(403, blocked.getStatus());
        assertEquals("Access denied", blocked.getBody());
        assertEquals(List.of("lua:policy", "admin"), blocked.getTagsList());
        assertEquals(List.of("SEC-001"), blocked.getRuleIdsList());

        Verdict allowed = verdict(vm.call(TestVm.requestHeaders("GET", "/api/v2/users")));
        assertEquals(Action.ALLOW, allowed.getAction());
        assertEquals(List.of(set("X-Processed-By", "lua-agent"), remove("Cookie")), allowed.getRequestHeadersList());
        assertEquals(List.of(set("X-Frame-Options", "DENY"), remove("Server")), allowed.getResponseHeadersList());
        assertEquals(List.of(Metadata.newBuilder().setKey("upstream").setValue("api-v2").build(),
                Metadata.newBuilder().setKey("priority").setValue("high").build()), allowed.getMetadataList());
        assertTrue(allowed.getNeedsMore());
    }

    @Test
    void aRustAgentRedirectTakesItsUrlFromBodyOrUrl() {
        TestVm vm = TestVm.loaded("r.lua", """
                function on_request_headers()
                    local auth = request.headers["Authorization"]
                    if not auth or auth == "" then
                        return { decision = "redirect", body = "/login?next=" .. request.uri, status = 302 }
                    end
                    return { decision = "redirect", url = "https://example.com/" .. auth }
                end
                """);
        Verdict login = verdict(vm.call(TestVm.requestHeaders("GET", "/dashboard")));
        assertEquals(Action.REDIRECT, login.getAction());
        assertEquals("/login?next=/dashboard", login.getRedirectUrl());
        assertEquals(302, login.getStatus());
        Verdict other = verdict(vm.call(TestVm.requestHeaders("GET", "/x", "authorization", "abc")));
        assertEquals("https://example.com/abc", other.getRedirectUrl());
        assertEquals(302, other.getStatus());
    }

    @Test
    void aBlockTableSendsItsResponseHeadersWithTheBlock() {
        TestVm vm = TestVm.loaded("m.lua", """
                function on_request_headers()
                    return { decision = "block", status = 405, body = "Method not allowed",
                             add_response_headers = { Allow = "GET, POST" } }
                end
                """);
        Verdict v = verdict(vm.call(TestVm.requestHeaders("PUT", "/x")));
        assertEquals(405, v.getStatus());
        assertEquals(List.of(set("Allow", "GET, POST")), v.getBlockHeadersList());
    }

    @Test
    void badReturnValuesAreScriptErrors() {
        TestVm vm = TestVm.loaded("s.lua", "function on_request_headers() return 'allow' end",
                "t.lua", "function on_request_headers() return { decison = 'block' } end",
                "u.lua", "function on_request_headers() return { decision = 'challenge' } end");
        HookResult result = vm.call(TestVm.requestHeaders("GET", "/"));
        assertEquals(FailureKind.SCRIPT_ERROR, result.getFailure().getKind());
        assertEquals("s", result.getFailure().getScript());
        assertEquals("s: on_request_headers returned a string (expected nothing or a table)",
                result.getFailure().getMessage());

        TestVm typo = TestVm.loaded("t.lua", "function on_request_headers() return { decison = 'block' } end");
        assertEquals("t: on_request_headers result: unknown key 'decison'",
                typo.call(TestVm.requestHeaders("GET", "/")).getFailure().getMessage());
        TestVm challenge = TestVm.loaded("u.lua", "function on_request_headers() return { decision = 'challenge' } end");
        assertEquals("u: on_request_headers result: decision 'challenge' is not supported by this agent",
                challenge.call(TestVm.requestHeaders("GET", "/")).getFailure().getMessage());
    }

    @Test
    void scriptsRunInPriorityOrderAndLaterOnesSeeEarlierMutations() {
        TestVm vm = TestVm.loaded(
                "a.lua", """
                        -- priority: 10
                        function on_request_headers(request)
                            request:add_header("X-Step", "one")
                            request:remove_header("Cookie")
                        end
                        """,
                "b.lua", """
                        -- priority: 20
                        function on_request_headers(request)
                            sentinel.add_tag("saw-" .. tostring(request:get_header("x-step")))
                            sentinel.add_tag("cookie-" .. tostring(request:get_header("cookie")))
                            request:set_header("X-Step", "two")
                        end
                        """,
                "c.lua", """
                        -- priority: 30
                        function on_request_headers(request)
                            sentinel.add_metadata("step", request:get_header("X-STEP"))
                            sentinel.set_decision("block", 401, "Unauthorized")
                        end
                        """,
                "d.lua", """
                        -- priority: 40
                        function on_request_headers(request)
                            request:add_header("X-Never", "1")
                        end
                        """);
        HookResult result = vm.call(TestVm.requestHeaders("GET", "/", "cookie", "a=1"));
        Verdict v = verdict(result);
        assertEquals(List.of("a", "b", "c"), result.getScriptsRunList());
        assertEquals(List.of(add("X-Step", "one"), remove("Cookie"), set("X-Step", "two")), v.getRequestHeadersList());
        assertEquals(List.of("lua:a", "lua:b", "saw-one", "cookie-nil", "lua:c"), v.getTagsList());
        assertEquals(List.of(Metadata.newBuilder().setKey("step").setValue("two").build()), v.getMetadataList());
        assertEquals(Action.BLOCK, v.getAction());
        assertEquals(401, v.getStatus());
        assertEquals("Unauthorized", v.getBody());
        assertEquals(List.of("c"), v.getRuleIdsList());
    }

    @Test
    void aScriptErrorEndsTheCallAndDiscardsItsMutations() {
        TestVm vm = TestVm.loaded(
                "a.lua", "-- priority: 1\nfunction on_request_headers(r) r:add_header('X-A', '1') sentinel.ctx.x = 1 end",
                "b.lua", "-- priority: 2\nfunction on_request_headers(r)\n  error('boom')\nend",
                "c.lua", "-- priority: 3\nfunction on_request_headers(r) r:add_header('X-C', '1') end");
        HookResult result = vm.call(TestVm.requestHeaders("GET", "/"));
        assertFalse(result.hasVerdict());
        assertEquals(FailureKind.SCRIPT_ERROR, result.getFailure().getKind());
        assertEquals("b", result.getFailure().getScript());
        assertEquals("b.lua:3: boom", result.getFailure().getMessage());
        assertEquals(List.of("a", "b"), result.getScriptsRunList());
        assertFalse(result.getCtxChanged());
    }

    @Test
    void aLimitInTheChainNamesTheScript() {
        TestVm vm = TestVm.of(io.zentinel.sentinel.lua.worker.sandbox.RunLimits.defaults().withTimes(60_000, 60_000),
                "loop.lua", "function on_request_headers() while true do end end");
        HookResult result = vm.call(TestVm.requestHeaders("GET", "/"));
        assertEquals(FailureKind.INSTRUCTION_LIMIT, result.getFailure().getKind());
        assertEquals("loop", result.getFailure().getScript());
        assertEquals("instructions (10000001) exceeds the maximum allowed (10000000, from "
                + "'resource-limits.max-instructions')", result.getFailure().getMessage());
        assertEquals(10_000_001, result.getStats().getInstructions());
        assertEquals(io.zentinel.sentinel.lua.protocol.v1.LimitHit.newBuilder().setKey("resource-limits.max-instructions")
                .setMaximum(10_000_000).setMeasured(10_000_001).setUnit("instructions").build(),
                result.getFailure().getLimit());
        long micros = result.getFailure().getElapsedMicros();
        assertTrue(micros > 0 && micros <= result.getStats().getElapsedMicros(), "script ran " + micros + " us");
    }

    @Test
    void aScriptErrorCarriesNoLimitButItsRunTime() {
        TestVm vm = TestVm.loaded("e.lua", "function on_request_headers() error('boom') end");
        HookResult result = vm.call(TestVm.requestHeaders("GET", "/"));
        assertEquals(FailureKind.SCRIPT_ERROR, result.getFailure().getKind());
        assertFalse(result.getFailure().hasLimit());
        assertTrue(result.getFailure().getElapsedMicros() > 0);
    }

    @Test
    void theLimitsFiguresTravelWithEachKindOfLimit() {
        var limits = io.zentinel.sentinel.lua.worker.sandbox.RunLimits.defaults().withTimes(60_000, 60_000);
        TestVm strings = TestVm.of(limits.withMaxStringBytes(1000), "s.lua",
                "function on_request_headers() local s = ('x'):rep(1001) end");
        assertEquals("resource-limits.max-string-bytes 1000 1001 bytes",
                figures(strings.call(TestVm.requestHeaders("GET", "/"))));
        TestVm tables = TestVm.of(limits.withMaxTableEntries(10), "t.lua",
                "function on_request_headers() local t = {} for i = 1, 11 do t[i] = i end end");
        assertEquals("resource-limits.max-table-entries 10 11 entries",
                figures(tables.call(TestVm.requestHeaders("GET", "/"))));
        TestVm slow = TestVm.of(io.zentinel.sentinel.lua.worker.sandbox.RunLimits.defaults()
                .withMaxInstructions(Long.MAX_VALUE / 2).withTimes(60_000, 20), "slow.lua",
                "function on_request_headers() while true do end end");
        assertTrue(figures(slow.call(TestVm.requestHeaders("GET", "/"))).matches("scripts.timeout 20 2\\d ms"));
        TestVm body = TestVm.of(limits.withMaxBodyBytes(4), "body.lua", "function on_request_body(r, b) end");
        assertEquals("scripts.max-body-bytes 4 5 bytes", figures(body.call(TestVm.requestBody("hello", 0, true, "hello"))));
    }

    private static String figures(HookResult result) {
        var limit = result.getFailure().getLimit();
        return limit.getKey() + " " + limit.getMaximum() + " " + limit.getMeasured() + " " + limit.getUnit();
    }

    @Test
    void setDecisionAcceptsEachDecisionAndRejectsOthers() {
        TestVm vm = TestVm.loaded("d.lua", """
                function on_request_headers(request)
                    local d = request:get_header("x-decision")
                    if d == "redirect" then sentinel.set_decision("redirect", "https://x.example/")
                    elseif d == "redirect301" then sentinel.set_decision("redirect", "https://x.example/", 301)
                    elseif d == "block" then sentinel.set_decision("block")
                    elseif d == "deny" then sentinel.set_decision("deny", 429)
                    elseif d == "sblock" then sentinel.block(503, "busy", { ["Retry-After"] = "5" })
                    elseif d == "sredirect" then sentinel.redirect("/elsewhere", 307)
                    elseif d == "flip" then sentinel.set_decision("block") sentinel.allow()
                    elseif d == "status" then sentinel.set_decision("block", 700)
                    else sentinel.set_decision(d) end
                end
                """);
        Verdict redirect = verdict(vm.call(TestVm.requestHeaders("GET", "/", "x-decision", "redirect")));
        assertEquals(Action.REDIRECT, redirect.getAction());
        assertEquals(302, redirect.getStatus());
        assertEquals("https://x.example/", redirect.getRedirectUrl());
        assertEquals(301, verdict(vm.call(TestVm.requestHeaders("GET", "/", "x-decision", "redirect301"))).getStatus());
        Verdict block = verdict(vm.call(TestVm.requestHeaders("GET", "/", "x-decision", "block")));
        assertEquals(403, block.getStatus());
        assertEquals("Forbidden", block.getBody());
        Verdict deny = verdict(vm.call(TestVm.requestHeaders("GET", "/", "x-decision", "deny")));
        assertEquals(Action.BLOCK, deny.getAction());
        assertEquals(429, deny.getStatus());
        assertFalse(deny.hasBody());
        Verdict sblock = verdict(vm.call(TestVm.requestHeaders("GET", "/", "x-decision", "sblock")));
        assertEquals(503, sblock.getStatus());
        assertEquals("busy", sblock.getBody());
        assertEquals(List.of(set("Retry-After", "5")), sblock.getBlockHeadersList());
        Verdict sredirect = verdict(vm.call(TestVm.requestHeaders("GET", "/", "x-decision", "sredirect")));
        assertEquals(307, sredirect.getStatus());
        assertEquals("/elsewhere", sredirect.getRedirectUrl());
        assertEquals(Action.ALLOW, verdict(vm.call(TestVm.requestHeaders("GET", "/", "x-decision", "flip"))).getAction());
        assertEquals("d.lua:10: sentinel.set_decision: status 700 is not allowed here (100..599)",
                vm.call(TestVm.requestHeaders("GET", "/", "x-decision", "status")).getFailure().getMessage());
        assertEquals("d.lua:11: sentinel.set_decision: unknown decision 'maybe' (expected allow, block or redirect)",
                vm.call(TestVm.requestHeaders("GET", "/", "x-decision", "maybe")).getFailure().getMessage());
    }

    @Test
    void requestGettersReadThePipeMessage() {
        TestVm vm = TestVm.loaded("g.lua", """
                function on_request_headers(r)
                    local parts = { r:get_path(), r:get_query(), r:get_uri(), r:get_method(), r:get_source_ip(),
                        tostring(r:get_client_port()), r:get_protocol(), tostring(r:get_route_id()),
                        r:get_request_id(), r:get_timestamp(), r:get_correlation_id(), tostring(r:get_body()),
                        r.method, r.path, r.query, r.client_ip, tostring(r) }
                    sentinel.add_tag(table.concat(parts, "|"))
                    local values = r:get_headers("x-multi")
                    local all = r:get_headers()
                    sentinel.add_tag(#values .. ":" .. values[1] .. ":" .. values[2] .. ":" .. #all["x-multi"])
                    sentinel.add_tag(tostring(r:get_header("X-MULTI")) .. ":" .. tostring(r:get_header("absent")))
                end
                """);
        var call = TestVm.requestHeaders("GET", "/api/items?page=2&q=x");
        addHeaders(call, Header.newBuilder().setName("x-multi").addValues("one").addValues("two"));
        Verdict v = verdict(vm.call(call));
        assertEquals(List.of("lua:g",
                "/api/items|page=2&q=x|/api/items?page=2&q=x|GET|192.0.2.7|51514|HTTP/1.1|nil|req-1|"
                        + "2026-01-01T00:00:00Z|corr-1|nil|GET|/api/items|page=2&q=x|192.0.2.7|request",
                "2:one:two:2", "one:nil"), v.getTagsList());
    }

    @Test
    void theHeadersFieldJoinsEveryValueOfANameAcrossRepeatsAndAdds() {
        TestVm vm = TestVm.loaded("j.lua", """
                function on_request_headers(r)
                    local before = r.headers
                    r:add_header("X-Multi", "four")
                    local after = r.headers
                    local names = 0
                    for _ in pairs(before) do names = names + 1 end
                    sentinel.add_tag(before["x-multi"] .. "|" .. before["X-MULTI"] .. "|" .. names)
                    sentinel.add_tag(after["x-multi"])
                end
                """);
        var call = TestVm.requestHeaders("GET", "/");
        int others = HeaderView.decode(call.getRequest().getHeaderList()).size();
        addHeaders(call,
                Header.newBuilder().setName("x-multi").addValues("one").addValues("two"),
                Header.newBuilder().setName("X-Multi").addValues("three"),
                Header.newBuilder().setName("x-empty"));
        Verdict v = verdict(vm.call(call));
        assertEquals(List.of("lua:j", "one, two, three|one, two, three|" + (others + 1), "one, two, three, four"),
                v.getTagsList());
    }

    @Test
    void theHeadersFieldLooksNamesUpWithoutListingAndListsAllOnDemand() {
        TestVm vm = TestVm.loaded("l.lua", """
                function on_request_headers(r)
                    local h = r.headers
                    sentinel.add_tag(tostring(h["x-a"]) .. "|" .. tostring(h["X-A"]) .. "|" .. tostring(h.absent)
                            .. "|" .. tostring(h[1]) .. "|" .. tostring(rawequal(h, r.headers)))
                    for i = 1, 20000 do local _ = r.headers["x-a"] end
                    local names = {}
                    for name, value in pairs(r.headers) do names[#names + 1] = name .. "=" .. value end
                    table.sort(names)
                    sentinel.add_tag(table.concat(names, ","))
                    h.mine = "x"
                    sentinel.add_tag(tostring(r.headers.mine) .. "|" .. tostring(h.mine)
                            .. "|" .. tostring(rawequal(h, r.headers)))
                    local before = r.headers
                    r:set_header("x-a", "changed")
                    sentinel.add_tag(before["x-a"] .. "|" .. r.headers["x-a"] .. "|" .. tostring(rawequal(before, r.headers)))
                end
                """);
        var call = TestVm.requestHeaders("GET", "/");
        call.getRequestBuilder().setHeaderList(TestVm.headerList(
                Header.newBuilder().setName("X-A").addValues("1"), Header.newBuilder().setName("x-b").addValues("2")));
        Verdict v = verdict(vm.call(call));
        assertEquals(List.of("lua:l", "1|1|nil|nil|true", "x-a=1,x-b=2", "nil|x|false", "1|changed|false"),
                v.getTagsList());
    }

    @Test
    void headerNamesAndValuesAreValidated() {
        TestVm vm = TestVm.loaded("h.lua", """
                function on_request_headers(r)
                    local which = r:get_header("x-which")
                    if which == "name" then r:add_header("Bad Name", "x")
                    elseif which == "value" then r:set_header("X-Ok", "a\\r\\nInjected: yes")
                    elseif which == "field" then r.method = "POST"
                    else r.add_header("X-A", "1") end
                end
                """);
        assertEquals("h.lua:3: request:add_header: 'Bad Name' is not a valid header name",
                vm.call(TestVm.requestHeaders("GET", "/", "x-which", "name")).getFailure().getMessage());
        assertEquals("h.lua:4: request:set_header: a header value must not contain CR, LF or NUL",
                vm.call(TestVm.requestHeaders("GET", "/", "x-which", "value")).getFailure().getMessage());
        assertEquals("h.lua:5: the request object cannot be changed this way; use its methods, e.g. "
                + "request:set_header(name, value)",
                vm.call(TestVm.requestHeaders("GET", "/", "x-which", "field")).getFailure().getMessage());
        assertEquals("h.lua:6: request:add_header must be called on the request object with ':', as in "
                + "request:add_header(...)",
                vm.call(TestVm.requestHeaders("GET", "/", "x-which", "dot")).getFailure().getMessage());
    }

    @Test
    void responseHooksSeeTheResponseAndChangeOnlyResponseHeaders() {
        TestVm vm = TestVm.loaded("resp.lua", """
                function on_response_headers(response)
                    response:add_header("X-Status", tostring(response:get_status()))
                    response:set_header("Server", "hidden")
                    response:remove_header("X-Powered-By")
                    local request = response:get_request()
                    sentinel.add_tag(request:get_path() .. " " .. tostring(response:get_header("content-type"))
                        .. " " .. response.status .. " " .. tostring(response.headers["Content-Type"]))
                    if request:get_query() == "page=3" then request:add_header("X-No", "1") end
                end
                """);
        HookResult result = vm.call(TestVm.responseHeaders(404, "content-type", "text/html", "x-powered-by", "php"));
        Verdict v = verdict(result);
        assertEquals(8, result.getCallId());
        assertEquals(List.of(add("X-Status", "404"), set("Server", "hidden"), remove("X-Powered-By")),
                v.getResponseHeadersList());
        assertEquals(List.of(), v.getRequestHeadersList());
        assertEquals(List.of("lua:resp", "/api/items text/html 404 text/html"), v.getTagsList());

        var page3 = TestVm.responseHeaders(200);
        page3.getRequestBuilder().setUri("/x?page=3");
        assertEquals("resp.lua:8: request:add_header: request headers cannot be changed in this phase",
                vm.call(page3).getFailure().getMessage());
    }

    @Test
    void bodyHooksGetChunksAndTheWholeBody() {
        TestVm vm = TestVm.loaded("body.lua", """
                seen = {}
                function on_request_body_chunk(request, chunk, is_last)
                    seen[#seen + 1] = chunk .. (is_last and "!" or "")
                    if not is_last then sentinel.needs_more() end
                end
                function on_request_body(request, body)
                    sentinel.add_tag(table.concat(seen, "+") .. "=" .. body .. "=" .. request.body)
                    sentinel.replace_body(body:upper())
                end
                """);
        Verdict first = verdict(vm.call(TestVm.requestBody("hello ", 0, false, null)));
        assertTrue(first.getNeedsMore());
        assertEquals(List.of("lua:body"), first.getTagsList());
        assertFalse(first.hasBodyMutation());
        HookResult last = vm.call(TestVm.requestBody("world", 1, true, "hello world"));
        Verdict v = verdict(last);
        assertEquals(List.of("body"), last.getScriptsRunList());
        assertEquals(List.of("lua:body", "hello +world!=hello world=hello world"), v.getTagsList());
        assertEquals("HELLO WORLD", v.getBodyMutation().getData().toStringUtf8());
        assertEquals(1, v.getBodyMutation().getChunkIndex());
        assertFalse(v.getNeedsMore());
    }

    @Test
    void aBodyOfOneChunkIsTheChunksDataInEveryBodyHook() {
        TestVm vm = TestVm.loaded("body.lua", """
                function on_request_body_chunk(request, chunk, is_last)
                    sentinel.add_tag("chunk=" .. chunk)
                end
                function on_request_body(request, body)
                    sentinel.add_tag("body=" .. body .. "," .. request.body .. "," .. request:get_body())
                end
                """);
        HookCall.Builder call = TestVm.requestBody("whole", 0, true, "whole");
        assertTrue(call.getChunk().getBody().isEmpty(), "sent as the supervisor sends it: the data alone");

        Verdict v = verdict(vm.call(call));

        assertEquals(List.of("lua:body", "chunk=whole", "body=whole,whole,whole"), v.getTagsList());
    }

    @Test
    void aBodyLargerThanTheLimitIsABodyLimitFailure() {
        TestVm vm = TestVm.of(io.zentinel.sentinel.lua.worker.sandbox.RunLimits.defaults().withMaxBodyBytes(4),
                "body.lua", "function on_request_body(r, b) end");
        HookResult result = vm.call(TestVm.requestBody("hello", 0, true, "hello"));
        assertEquals(FailureKind.BODY_LIMIT, result.getFailure().getKind());
        assertEquals("body bytes (5) exceeds the maximum allowed (4, from 'scripts.max-body-bytes')",
                result.getFailure().getMessage());
    }

    @Test
    void replaceBodyOutsideABodyPhaseIsAnError() {
        TestVm vm = TestVm.loaded("rb.lua", "function on_request_headers() sentinel.replace_body('x') end");
        assertEquals("rb.lua:1: sentinel.replace_body: only the body hooks can replace a body",
                vm.call(TestVm.requestHeaders("GET", "/")).getFailure().getMessage());
    }

    @Test
    void aScriptsGlobalsPersistAcrossCallsButStayItsOwn() {
        TestVm vm = TestVm.loaded(
                "count.lua", "-- priority: 1\ncount = 0\nfunction on_request_headers() count = count + 1 sentinel.add_tag('n' .. count) end",
                "peek.lua", "-- priority: 2\nfunction on_request_headers() sentinel.add_tag('peek-' .. tostring(count)) end");
        vm.call(TestVm.requestHeaders("GET", "/"));
        Verdict v = verdict(vm.call(TestVm.requestHeaders("GET", "/")));
        assertEquals(List.of("lua:count", "n2", "lua:peek", "peek-nil"), v.getTagsList());
    }

    @Test
    void aHookFunctionRemovedAtRunTimeIsAScriptError() {
        TestVm vm = TestVm.loaded("gone.lua", "function on_request_headers() on_request_headers = nil end");
        verdict(vm.call(TestVm.requestHeaders("GET", "/")));
        HookResult result = vm.call(TestVm.requestHeaders("GET", "/"));
        assertEquals("gone: on_request_headers is not a function (it is a nil value)", result.getFailure().getMessage());
    }

    @Test
    void sentinelFunctionsNeedAnEvent() {
        TestVm vm = TestVm.of("top.lua", "sentinel.set_decision('block')\nfunction on_request_headers() end");
        assertEquals(1, vm.problems.size());
        assertEquals(1, vm.problems.get(0).getLine());
        assertEquals("top-level code failed (SCRIPT_ERROR): top.lua:1: sentinel.set_decision can only be used while "
                + "an event is handled, not in a script's top-level code", vm.problems.get(0).getReason());
    }

    @Test
    void sentinelVersionAndLogWork() {
        TestVm vm = TestVm.loaded("v.lua", """
                function on_request_headers()
                    sentinel.log("info", "version " .. sentinel.version)
                    sentinel.log("hello")
                    print("printed", 1, true)
                    sentinel.add_tag(sentinel.version)
                    local ok, err = pcall(sentinel.log, "loud", "x")
                    sentinel.add_tag(tostring(ok) .. " " .. err)
                end
                """);
        assertEquals(List.of("lua:v", "1.2.3-test",
                        "false sentinel.log: unknown level 'loud' (expected trace, debug, info, warn or error)"),
                verdict(vm.call(TestVm.requestHeaders("GET", "/"))).getTagsList());
    }

    @Test
    void theWarmUpRunsThroughTheBridgeWithoutTouchingTheScripts() {
        TestVm vm = TestVm.loaded("count.lua", "count = 0\nfunction on_request_headers() count = count + 1 sentinel.add_tag('n' .. count) end");
        HookResult warm = vm.vm.warmUp();
        assertEquals(List.of("warm-up"), warm.getScriptsRunList());
        assertEquals(Action.ALLOW, verdict(warm).getAction());
        assertTrue(warm.getCtxChanged());
        assertEquals(List.of("lua:count", "n1"), verdict(vm.call(TestVm.requestHeaders("GET", "/"))).getTagsList());
    }

    @Test
    void theWarmUpCallsTheLibrariesTheScriptsUseAndNoOthers() {
        TestVm none = TestVm.loaded("plain.lua", "function on_request_headers(request) sentinel.add_tag('x') end");
        assertEquals(List.of(Metadata.newBuilder().setKey("warm-up-libraries").setValue("").build()),
                libraryMetadata(none.vm.warmUp()));
        TestVm all = TestVm.loaded("all.lua", """
                local names = { crypto, encoding, http, json, regex, time }
                function on_request_headers(request) end
                """);
        assertEquals(List.of(Metadata.newBuilder().setKey("warm-up-libraries")
                        .setValue("crypto,encoding,http,json,regex,time").build()),
                libraryMetadata(all.vm.warmUp()), "every library warmed up without an error");
        TestVm some = TestVm.loaded("some.lua", "function on_request_headers(request) return crypto.sha1(json.encode({})) end");
        assertEquals("crypto,json", libraryMetadata(some.vm.warmUp()).get(0).getValue());
        LuaVm second = new LuaVm(1, RunLimits.defaults(), all.catalog, "1.2.3-test", false);
        assertEquals("", libraryMetadata(second.warmUp()).get(0).getValue(), "once per worker, in VM 0");
    }

    private static List<Metadata> libraryMetadata(HookResult warm) {
        return verdict(warm).getMetadataList().stream().filter(m -> m.getKey().equals("warm-up-libraries")).toList();
    }

    @Test
    void theRequestGlobalDoesNotClobberAScriptsOwnGlobal() {
        TestVm vm = TestVm.loaded("own.lua", """
                response = "mine"
                function on_request_headers()
                    sentinel.add_tag(request.method .. " " .. tostring(response))
                end
                """);
        vm.call(TestVm.requestHeaders("GET", "/"));
        assertEquals(List.of("lua:own", "PUT mine"), verdict(vm.call(TestVm.requestHeaders("PUT", "/"))).getTagsList());
    }

    /** Appends {@code headers} to the call's header list (a repeated field: encodings concatenate). */
    private static void addHeaders(HookCall.Builder call, Header.Builder... headers) {
        RequestInfo.Builder request = call.getRequestBuilder();
        request.setHeaderList(request.getHeaderList().concat(TestVm.headerList(headers)));
    }
}
