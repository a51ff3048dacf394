package io.zentinel.sentinel.lua.worker.script;

import java.util.List;
import java.util.Locale;

import io.zentinel.sentinel.lua.protocol.v1.Hook;

/** The hook functions a script can define, and the names the {@code hook:} metadata accepts for them. */
public final class Hooks {
    /** Every hook, in the order a call's phases run them. */
    public static final List<Hook> ALL = List.of(Hook.REQUEST_HEADERS, Hook.REQUEST_BODY_CHUNK, Hook.REQUEST_BODY,
            Hook.RESPONSE_HEADERS, Hook.RESPONSE_BODY);

    private Hooks() {
    }

    /** The Lua function implementing {@code hook}, e.g. {@code on_request_headers}. */
    public static String functionName(Hook hook) {
        return switch (hook) {
            case REQUEST_HEADERS -> "on_request_headers";
            case REQUEST_BODY -> "on_request_body";
            case REQUEST_BODY_CHUNK -> "on_request_body_chunk";
            case RESPONSE_HEADERS -> "on_response_headers";
            case RESPONSE_BODY -> "on_response_body";
            case HOOK_UNSPECIFIED, UNRECOGNIZED -> throw new IllegalArgumentException("no function for " + hook);
        };
    }

    /** The metadata name of {@code hook}, e.g. {@code request_headers}. */
    public static String metadataName(Hook hook) {
        return functionName(hook).substring(3);
    }

    /**
     * The hook named {@code name} in a {@code hook:} line: {@code request_headers} or
     * {@code on_request_headers} (case-insensitive), or {@code null} when it names none.
     */
    public static Hook parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        if (n.startsWith("on_")) {
            n = n.substring(3);
        }
        for (Hook hook : ALL) {
            if (metadataName(hook).equals(n)) {
                return hook;
            }
        }
        return null;
    }

    /** {@code request_headers, request_body_chunk, ...}, for messages. */
    public static String names() {
        return String.join(", ", ALL.stream().map(Hooks::metadataName).toList());
    }
}
