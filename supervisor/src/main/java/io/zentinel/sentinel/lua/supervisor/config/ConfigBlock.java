package io.zentinel.sentinel.lua.supervisor.config;

import io.zentinel.sentinel.lua.supervisor.config.kdl.KdlBoolean;
import io.zentinel.sentinel.lua.supervisor.config.kdl.KdlNode;
import io.zentinel.sentinel.lua.supervisor.config.kdl.KdlNumber;
import io.zentinel.sentinel.lua.supervisor.config.kdl.KdlPrinter;
import io.zentinel.sentinel.lua.supervisor.config.kdl.KdlString;
import io.zentinel.sentinel.lua.supervisor.config.kdl.KdlValue;
import io.zentinel.sentinel.lua.supervisor.config.kdl.KdlVersion;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Typed reading of one level of the configuration file: the top level, or the children of a
 * block such as {@code scripts}. Each read names a key it knows; {@link #rejectUnknown()} then
 * reports every node that no read asked for, with the list of keys that were.
 *
 * <p>A key is a node with exactly one value: {@code timeout 100}. A block is a node with
 * children only: {@code scripts { … }}. Anything else, a repeated key, or a type annotation
 * (which could make {@code timeout (s)5} look like it means seconds) is rejected.
 */
final class ConfigBlock {

    private final String path;
    private final List<KdlNode> nodes;
    private final Set<String> known = new LinkedHashSet<>();

    private ConfigBlock(String path, List<KdlNode> nodes) {
        this.path = path;
        this.nodes = nodes;
    }

    static ConfigBlock topLevel(List<KdlNode> nodes) {
        return new ConfigBlock("", nodes);
    }

    /** The key path of {@code name} as the operator writes it, e.g. {@code scripts.timeout}. */
    String key(String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    Optional<ConfigBlock> block(String name) {
        return single(name).map(node -> {
            String key = key(name);
            if (!node.args().isEmpty()) {
                throw new ConfigException(key + " takes a children block, not values (was "
                        + describe(node.args()) + ")");
            }
            rejectProperties(node, key);
            return new ConfigBlock(key, node.children());
        });
    }

    Optional<Boolean> bool(String name) {
        return value(name).map(value -> {
            if (value instanceof KdlBoolean b) {
                return b.value();
            }
            throw wrongType(name, "a boolean", value);
        });
    }

    Optional<Long> integer(String name) {
        return value(name).map(value -> {
            if (!(value instanceof KdlNumber number) || !number.isInteger()) {
                throw wrongType(name, "an integer", value);
            }
            try {
                return number.longValueExact();
            } catch (ArithmeticException e) {
                throw outOfRange(name, value);
            }
        });
    }

    /** An integer that must fit an {@code int}; the record checks its real range. */
    Optional<Integer> smallInteger(String name) {
        return integer(name).map(value -> {
            if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
                throw new ConfigException(key(name) + " is out of range (was " + value + ")");
            }
            return value.intValue();
        });
    }

    Optional<String> string(String name) {
        return value(name).map(value -> {
            if (value instanceof KdlString s) {
                return s.value();
            }
            throw wrongType(name, "a string", value);
        });
    }

    /**
     * A path, resolved against {@code base} and normalized. An empty string stays empty, so that
     * the record rejects it rather than it silently meaning {@code base} itself.
     */
    Optional<Path> path(String name, Path base) {
        return string(name).map(text -> {
            if (text.isEmpty()) {
                return Path.of("");
            }
            try {
                return base.resolve(Path.of(text)).normalize();
            } catch (InvalidPathException e) {
                throw new ConfigException(key(name) + " is not a valid path (was "
                        + KdlPrinter.value(KdlString.of(text), KdlVersion.V1) + ": " + e.getReason() + ")");
            }
        });
    }

    /** A duration: a whole number in {@code bareUnit}, or a string with a unit such as {@code "5s"}. */
    Optional<Duration> duration(String name, ChronoUnit bareUnit) {
        return value(name).map(value -> {
            try {
                if (value instanceof KdlNumber number && number.isInteger()) {
                    return Duration.of(number.longValueExact(), bareUnit);
                }
                if (value instanceof KdlString text) {
                    Optional<Duration> parsed = DurationText.parse(text.value());
                    if (parsed.isPresent()) {
                        return parsed.get();
                    }
                }
            } catch (ArithmeticException e) {
                throw outOfRange(name, value);
            }
            String unit = bareUnit == ChronoUnit.SECONDS ? "seconds" : "milliseconds";
            throw new ConfigException(key(name) + " must be a whole number of " + unit
                    + " or a string with a unit such as " + DurationText.EXAMPLES + " (was " + describe(value) + ")");
        });
    }

    /** Rejects every node no read asked for, naming them and the keys that are allowed here. */
    void rejectUnknown() {
        List<String> unknown = nodes.stream()
                .map(KdlNode::name)
                .filter(name -> !known.contains(name))
                .distinct()
                .map(name -> key(KdlPrinter.identifier(name, KdlVersion.V1)))
                .toList();
        if (unknown.isEmpty()) {
            return;
        }
        String kind = path.isEmpty() ? "node" : "key";
        String where = path.isEmpty() ? "at the top level" : "in " + path;
        throw new ConfigException("unknown " + kind + (unknown.size() > 1 ? "s " : " ") + String.join(", ", unknown)
                + "; allowed " + where + ": " + String.join(", ", known));
    }

    // ---------------------------------------------------------------- shape of a node

    private Optional<KdlNode> single(String name) {
        known.add(name);
        List<KdlNode> found = nodes.stream().filter(node -> node.name().equals(name)).toList();
        if (found.size() > 1) {
            throw new ConfigException(key(name) + " must be given at most once (was given " + found.size() + " times)");
        }
        found.forEach(node -> node.type().ifPresent(type -> {
            throw new ConfigException(key(name) + " does not take a type annotation (was ("
                    + KdlPrinter.identifier(type, KdlVersion.V1) + "))");
        }));
        return found.stream().findFirst();
    }

    private Optional<KdlValue> value(String name) {
        return single(name).map(node -> {
            String key = key(name);
            if (!node.children().isEmpty()) {
                throw new ConfigException(key + " takes a value, not a children block");
            }
            rejectProperties(node, key);
            if (node.args().size() != 1) {
                throw new ConfigException(key + " must have exactly one value (was "
                        + (node.args().isEmpty() ? "none" : node.args().size() + " values: " + describe(node.args()))
                        + ")");
            }
            KdlValue value = node.args().getFirst();
            if (value.type().isPresent()) {
                throw new ConfigException(key + " does not take a type annotation (was " + describe(value) + ")");
            }
            return value;
        });
    }

    private static void rejectProperties(KdlNode node, String key) {
        if (!node.props().isEmpty()) {
            String props = node.props().entrySet().stream()
                    .map(ConfigBlock::describe)
                    .collect(Collectors.joining(" "));
            throw new ConfigException(key + " does not take properties (was " + props + ")");
        }
    }

    private ConfigException wrongType(String name, String expected, KdlValue value) {
        return new ConfigException(key(name) + " must be " + expected + " (was " + describe(value) + ")");
    }

    private ConfigException outOfRange(String name, KdlValue value) {
        return new ConfigException(key(name) + " is out of range (was " + describe(value) + ")");
    }

    private static String describe(KdlValue value) {
        return KdlPrinter.value(value, KdlVersion.V1);
    }

    private static String describe(List<KdlValue> values) {
        return values.stream().map(ConfigBlock::describe).collect(Collectors.joining(" "));
    }

    private static String describe(Map.Entry<String, KdlValue> prop) {
        return KdlPrinter.identifier(prop.getKey(), KdlVersion.V1) + "=" + describe(prop.getValue());
    }
}
