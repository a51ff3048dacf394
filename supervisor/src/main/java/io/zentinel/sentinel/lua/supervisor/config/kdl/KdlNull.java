package io.zentinel.sentinel.lua.supervisor.config.kdl;

import java.util.Objects;
import java.util.Optional;

/** {@code null} ({@code #null} in KDL v2). */
public record KdlNull(Optional<String> type) implements KdlValue {

    public KdlNull {
        Objects.requireNonNull(type, "type");
    }

    public static KdlNull of() {
        return new KdlNull(Optional.empty());
    }
}
