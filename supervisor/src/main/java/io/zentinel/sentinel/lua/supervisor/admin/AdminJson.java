package io.zentinel.sentinel.lua.supervisor.admin;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The databind mapping of the {@link AdminProtocol}'s records for its clients: the commands that
 * read the agent's answers and print them ({@code status}, {@code reload}, {@code check},
 * {@code test}). Member names are snake_case, unknown members are ignored.
 *
 * <p>The agent never uses it: it writes its answers with {@link RecordJsonWriter}, so that the
 * long-lived supervisor does not load databind.
 */
public final class AdminJson {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .build();

    private AdminJson() {
    }

    /** The mapper. Thread-safe. */
    public static ObjectMapper mapper() {
        return MAPPER;
    }
}
