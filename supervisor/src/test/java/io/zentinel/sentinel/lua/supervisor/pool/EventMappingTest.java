package io.zentinel.sentinel.lua.supervisor.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.zentinel.sentinel.lua.protocol.v1.Header;
import io.zentinel.sentinel.lua.protocol.v1.HeaderList;
import io.zentinel.sentinel.lua.protocol.v1.RequestInfo;
import io.zentinel.sentinel.lua.supervisor.proxy.AgentEvent;
import io.zentinel.sentinel.lua.supervisor.proxy.EventHeaders;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EventMappingTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "127.0.0.1:51514 | 127.0.0.1   | 51514",
            "[::1]:51514     | ::1         | 51514",
            "[2001:db8::7]   | 2001:db8::7 | 0",
            "2001:db8::7     | 2001:db8::7 | 0",
            "10.0.0.9        | 10.0.0.9    | 0",
            "host:notaport   | host        | 0",
            "'' | '' | 0"})
    void clientAddressLosesItsPortAndBrackets(String address, String ip, int port) {
        assertEquals(ip, EventMapping.clientIp(address));
        assertEquals(port, EventMapping.clientPort(address));
    }

    @Test
    void requestHeadersBecomeARequestInfoWithHeadersInProxyOrder() {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        headers.put("host", List.of("example.com"));
        headers.put("accept", List.of("text/html", "*/*"));
        headers.put("x-empty", Arrays.asList("a", null));
        AgentEvent.RequestHeaders event = new AgentEvent.RequestHeaders("id", "POST", "/api/users?id=42",
                EventHeaders.of(headers),
                new AgentEvent.RequestMetadata("[::1]:51514", 0, "HTTP/1.1", "req-1", "api", null,
                        "2026-07-01T09:30:00.123+00:00", null, null, "00-abc-def-01", null));

        RequestInfo request = EventMapping.requestInfo(event);

        assertEquals(RequestInfo.newBuilder()
                .setMethod("POST").setUri("/api/users?id=42")
                .setHeaderList(HeaderList.newBuilder()
                        .addHeaders(Header.newBuilder().setName("host").addValues("example.com"))
                        .addHeaders(Header.newBuilder().setName("accept").addValues("text/html").addValues("*/*"))
                        .addHeaders(Header.newBuilder().setName("x-empty").addValues("a"))
                        .build().toByteString())
                .setClientIp("::1").setClientPort(51514).setProtocol("HTTP/1.1").setRequestId("req-1")
                .setTimestamp("2026-07-01T09:30:00.123+00:00").setRouteId("api").setTraceparent("00-abc-def-01")
                .build(), request);
        assertFalse(request.hasUpstreamId());
        assertFalse(request.hasServerName());
    }

    @Test
    void requestHeadersWithoutMetadataOrHeadersStillMap() {
        RequestInfo request = EventMapping.requestInfo(new AgentEvent.RequestHeaders("id", null, null, null, null));

        assertEquals(RequestInfo.getDefaultInstance(), request);
    }
}
