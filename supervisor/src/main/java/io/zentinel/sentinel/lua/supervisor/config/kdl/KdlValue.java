package io.zentinel.sentinel.lua.supervisor.config.kdl;

import java.util.Optional;

/**
 * A KDL value: an argument of a node or the value of a property. Each may carry a type
 * annotation, {@code (u8)10}, which KDL leaves to the application to interpret.
 */
public sealed interface KdlValue permits KdlString, KdlNumber, KdlBoolean, KdlNull {

    /** The type annotation written before the value, without its parentheses. */
    Optional<String> type();
}
