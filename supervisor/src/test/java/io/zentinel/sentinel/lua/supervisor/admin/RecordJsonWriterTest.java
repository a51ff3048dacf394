package io.zentinel.sentinel.lua.supervisor.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.io.IOException;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RecordJsonWriterTest {

    private static String written(Object value) throws IOException {
        StringWriter out = new StringWriter();
        try (JsonGenerator json = new JsonFactory().createGenerator(out)) {
            RecordJsonWriter.write(json, value);
        }
        return out.toString();
    }

    private static String databind(Object value) throws IOException {
        return AdminJson.mapper().writeValueAsString(value);
    }

    @Test
    void writesEveryAdminRecordAsTheClientsMapperWouldByteForByte() throws IOException {
        List<Record> records = new ArrayList<>(List.of(Reports.accepted(), Reports.rejected(),
                Reports.status(Reports.rejected()), Reports.status(Reports.accepted()), Reports.status(null),
                Reports.SEED, new ProblemView("a.lua", 0, "no line"), new ScriptView("b.lua", "", "", List.of(),
                        List.of(), List.of(), -3)));
        for (Record record : records) {
            assertEquals(databind(record), written(record), record.getClass().getSimpleName());
        }
    }

    @Test
    void namesMembersAsDatabindsSnakeCaseStrategy() {
        for (String name : List.of("file", "rssBytes", "adminSocketPath", "failuresByScript", "crashLoopBackoffMs",
                "uptimeSeconds", "rssMB", "httpURLPath", "v2Name", "a", "aB", "already_snake")) {
            assertEquals(PropertyNamingStrategies.SnakeCaseStrategy.INSTANCE.translate(name),
                    RecordJsonWriter.snakeCase(name), name);
        }
    }

    record Scalars(String text, boolean flag, int small, long big, double ratio, Thread.State state, Long absent,
                   List<Integer> list, Map<Integer, String> byNumber) {
    }

    @Test
    void writesScalarsListsAndMapsLikeDatabind() throws IOException {
        Scalars scalars = new Scalars("quote \" and \u00e9", true, -7, Long.MAX_VALUE, 0.125, Thread.State.BLOCKED,
                null, Arrays.asList(1, null, 3), Map.of(4, "four"));
        assertEquals(databind(scalars), written(scalars));
        assertEquals("{\"text\":\"quote \\\" and \u00e9\",\"flag\":true,\"small\":-7,\"big\":9223372036854775807,"
                + "\"ratio\":0.125,\"state\":\"BLOCKED\",\"absent\":null,\"list\":[1,null,3],\"by_number\":{\"4\":\"four\"}}",
                written(scalars));
    }

    record Unsupported(Optional<String> maybe) {
    }

    @Test
    void refusesTypesItHasNoJsonFormFor() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> written(new Unsupported(Optional.of("x"))));
        assertEquals("no JSON form for a java.util.Optional", e.getMessage());
    }
}
