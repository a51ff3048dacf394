package io.zentinel.sentinel.lua.supervisor.config.kdl;

import java.util.Objects;
import java.util.Optional;

/** A string value, whichever syntax wrote it (quoted, raw, multi-line or a bare v2 identifier). */
public record KdlString(String value, Optional<String> type) implements KdlValue {

    public KdlString {
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(type, "type");
    }

    public static KdlString of(String value) {
        return new KdlString(value, Optional.empty());
    }
}
