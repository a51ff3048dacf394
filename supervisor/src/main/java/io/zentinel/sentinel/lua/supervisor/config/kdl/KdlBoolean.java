package io.zentinel.sentinel.lua.supervisor.config.kdl;

import java.util.Objects;
import java.util.Optional;

/** {@code true} or {@code false} ({@code #true} / {@code #false} in KDL v2). */
public record KdlBoolean(boolean value, Optional<String> type) implements KdlValue {

    public KdlBoolean {
        Objects.requireNonNull(type, "type");
    }

    public static KdlBoolean of(boolean value) {
        return new KdlBoolean(value, Optional.empty());
    }
}
