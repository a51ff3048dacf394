package io.zentinel.sentinel.lua.supervisor.config.kdl;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A KDL node: an optional type annotation, a name, ordered arguments, properties and children.
 *
 * <p>Properties keep the order in which their names first appeared; when a name repeats, the
 * last value wins, as the specification requires.
 */
public record KdlNode(
        Optional<String> type,
        String name,
        List<KdlValue> args,
        Map<String, KdlValue> props,
        List<KdlNode> children) {

    public KdlNode {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(name, "name");
        args = List.copyOf(args);
        // Map.copyOf would lose the order; an unmodifiable LinkedHashMap copy keeps it.
        props = Collections.unmodifiableMap(new LinkedHashMap<>(props));
        props.forEach((key, value) -> {
            Objects.requireNonNull(key, "property name");
            Objects.requireNonNull(value, "property value");
        });
        children = List.copyOf(children);
    }

    /** A node with a name only. */
    public static KdlNode named(String name) {
        return new KdlNode(Optional.empty(), name, List.of(), Map.of(), List.of());
    }

    /** The value of property {@code key}, if present. */
    public Optional<KdlValue> prop(String key) {
        return Optional.ofNullable(props.get(key));
    }

    @Override
    public String toString() {
        return KdlPrinter.print(new KdlDocument(List.of(this)), KdlVersion.V1).stripTrailing();
    }
}
