package io.zentinel.sentinel.lua.supervisor.admin;

import java.io.IOException;

/** The agent answered {@code ok:false}, or an answer that breaks the {@link AdminProtocol}. */
public final class AdminErrorException extends IOException {
    private static final long serialVersionUID = 1L;

    /** Code of answers that are not valid protocol responses. */
    public static final String BAD_RESPONSE = "bad-response";

    private final String code;

    public AdminErrorException(String code, String message) {
        super(message);
        this.code = code;
    }

    /** The error code, e.g. {@code permission-denied}, or {@link #BAD_RESPONSE}. */
    public String code() {
        return code;
    }
}
