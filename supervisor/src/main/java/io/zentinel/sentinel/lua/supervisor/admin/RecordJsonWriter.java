package io.zentinel.sentinel.lua.supervisor.admin;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.Collection;
import java.util.Map;

/**
 * Writes the admin protocol's records as JSON with jackson-core's streaming generator: a record
 * becomes an object of its components in declaration order, named in snake_case; lists become
 * arrays, maps objects, {@code null} stays {@code null}.
 *
 * <p>Why not jackson-databind, which reads these records on the client side ({@link AdminJson}):
 * building its mapper loads about 570 classes and takes 2.9 MiB of metaspace, and its first
 * serialisation another 1.1 MiB, for the lifetime of the agent; this writer needs neither. The
 * names it writes are those of databind's {@code SNAKE_CASE} strategy, so the two agree
 * ({@code RecordJsonWriterTest} compares them on every admin record).
 */
final class RecordJsonWriter {
    private static final ClassValue<Member[]> MEMBERS = new ClassValue<>() {
        @Override
        protected Member[] computeValue(Class<?> type) {
            RecordComponent[] components = type.getRecordComponents();
            Member[] members = new Member[components.length];
            for (int i = 0; i < components.length; i++) {
                members[i] = new Member(snakeCase(components[i].getName()), components[i]);
            }
            return members;
        }
    };

    private record Member(String name, RecordComponent component) {
        Object valueOf(Record record) {
            try {
                return component.getAccessor().invoke(record);
            } catch (IllegalAccessException | InvocationTargetException e) {
                throw new IllegalStateException("cannot read " + record.getClass().getSimpleName() + "."
                        + component.getName(), e);
            }
        }
    }

    private RecordJsonWriter() {
    }

    /**
     * Writes {@code value}: a record, collection, map (keys as strings), string, number, boolean,
     * enum (its name) or {@code null}.
     *
     * @throws IllegalArgumentException for a value of any other type
     */
    static void write(JsonGenerator json, Object value) throws IOException {
        switch (value) {
            case null -> json.writeNull();
            case Record record -> {
                json.writeStartObject();
                for (Member member : MEMBERS.get(record.getClass())) {
                    json.writeFieldName(member.name());
                    write(json, member.valueOf(record));
                }
                json.writeEndObject();
            }
            case CharSequence text -> json.writeString(text.toString());
            case Boolean bool -> json.writeBoolean(bool);
            case Integer number -> json.writeNumber(number);
            case Long number -> json.writeNumber(number);
            case Double number -> json.writeNumber(number);
            case Enum<?> constant -> json.writeString(constant.name());
            case Collection<?> items -> {
                json.writeStartArray();
                for (Object item : items) {
                    write(json, item);
                }
                json.writeEndArray();
            }
            case Map<?, ?> map -> {
                json.writeStartObject();
                for (Map.Entry<?, ?> entry : map.entrySet()) {
                    json.writeFieldName(String.valueOf(entry.getKey()));
                    write(json, entry.getValue());
                }
                json.writeEndObject();
            }
            default -> throw new IllegalArgumentException("no JSON form for a " + value.getClass().getName());
        }
    }

    /**
     * {@code adminSocketPath -> admin_socket_path}: all lower case, with an underscore before each
     * capital that does not follow another capital or an underscore ({@code rssMB -> rss_mb}), as
     * databind's {@code SNAKE_CASE}.
     */
    static String snakeCase(String name) {
        StringBuilder out = new StringBuilder(name.length() + 4);
        boolean previousWasCapital = false;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (Character.isUpperCase(c)) {
                if (!previousWasCapital && !out.isEmpty() && out.charAt(out.length() - 1) != '_') {
                    out.append('_');
                }
                out.append(Character.toLowerCase(c));
                previousWasCapital = true;
            } else {
                out.append(c);
                previousWasCapital = false;
            }
        }
        return out.toString();
    }
}
