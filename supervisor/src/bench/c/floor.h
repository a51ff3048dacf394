/*
 * Shared by the C floors of the benchmark (echo-agent.c, relay-agent.c): agent protocol v2
 * framing (4-byte big-endian length counting the type byte, 1 type byte, JSON payload), the
 * handshake answer, and the allow AgentResponse carrying an event's correlation id.
 *
 * The floors do the least an agent must: no JSON parsing beyond finding the top-level
 * "correlation_id" member (the first one in every event the proxy sends: members are sorted and
 * it precedes "data", "headers" and "metadata"), no decision logic.
 */
#ifndef FLOOR_H
#define FLOOR_H

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_FRAME (16u * 1024u * 1024u)

#define T_HANDSHAKE_REQUEST 0x01
#define T_HANDSHAKE_RESPONSE 0x02
#define T_AGENT_RESPONSE 0x20
#define T_PING 0x41
#define T_PONG 0x42

/* A growable byte buffer. */
typedef struct {
    unsigned char *data;
    size_t len;
    size_t cap;
} buf_t;

static void die(const char *what) {
    perror(what);
    exit(1);
}

static void buf_reserve(buf_t *b, size_t extra) {
    if (b->len + extra <= b->cap) {
        return;
    }
    size_t cap = b->cap ? b->cap : 65536;
    while (cap < b->len + extra) {
        cap *= 2;
    }
    b->data = realloc(b->data, cap);
    if (!b->data) {
        die("realloc");
    }
    b->cap = cap;
}

static void buf_append(buf_t *b, const void *p, size_t n) {
    buf_reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void put_u32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char) (v >> 24);
    p[1] = (unsigned char) (v >> 16);
    p[2] = (unsigned char) (v >> 8);
    p[3] = (unsigned char) v;
}

static uint32_t get_u32(const unsigned char *p) {
    return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) | ((uint32_t) p[2] << 8) | (uint32_t) p[3];
}

/*
 * Reads what is available from fd into in, with at least 64 KiB of room; returns what read()
 * returned (0 at end of file, -1 on an error), retrying when interrupted.
 */
static ssize_t read_more(int fd, buf_t *in) {
    for (;;) {
        buf_reserve(in, 65536);
        ssize_t r = read(fd, in->data + in->len, in->cap - in->len);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r > 0) {
            in->len += (size_t) r;
        }
        return r;
    }
}

/*
 * The length L of the length-prefixed message at in->data + at (4-byte big-endian length, then
 * L bytes), when the whole message is in the buffer; 0 when it is not yet (room for it is then
 * reserved); -1 when L is 0 or above max.
 */
static long message_at(buf_t *in, size_t at, uint32_t max) {
    if (in->len - at < 4) {
        return 0;
    }
    uint32_t len = get_u32(in->data + at);
    if (len == 0 || len > max) {
        return -1;
    }
    if (in->len - at - 4 < len) {
        buf_reserve(in, len + 4);
        return 0;
    }
    return (long) len;
}

/* Drops the first n bytes of in: the messages handled. */
static void consume(buf_t *in, size_t n) {
    memmove(in->data, in->data + n, in->len - n);
    in->len -= n;
}

/* Appends one frame: length, type, payload. */
static void frame_append(buf_t *out, unsigned char type, const void *payload, size_t n) {
    unsigned char head[5];
    put_u32(head, (uint32_t) (n + 1));
    head[4] = type;
    buf_append(out, head, 5);
    buf_append(out, payload, n);
}

static int write_all(int fd, const unsigned char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        p += w;
        n -= (size_t) w;
    }
    return 0;
}

static const char HANDSHAKE_RESPONSE[] =
    "{\"protocol_version\":2,\"capabilities\":{\"agent_id\":\"c-floor\",\"name\":\"c-floor\",\"version\":\"1\","
    "\"supported_events\":[1,2,3,4],\"features\":{\"streaming_body\":false,\"websocket\":false,\"guardrails\":false,"
    "\"config_push\":false,\"metrics_export\":false,\"concurrent_requests\":100,\"cancellation\":false,"
    "\"flow_control\":false,\"health_reporting\":false},\"limits\":{\"max_body_size\":1048576,"
    "\"max_concurrency\":100,\"preferred_chunk_size\":65536}},\"success\":true,\"error\":null,\"encoding\":\"json\"}";

static const char RESPONSE_HEAD[] =
    "{\"version\":2,\"decision\":\"allow\",\"request_headers\":[],\"response_headers\":[],\"routing_metadata\":{},"
    "\"audit\":{\"tags\":[],\"rule_ids\":[],\"confidence\":null,\"reason_codes\":[],\"custom\":{\"correlation_id\":\"";
static const char RESPONSE_TAIL[] =
    "\"}},\"needs_more\":false,\"request_body_mutation\":null,\"response_body_mutation\":null,"
    "\"websocket_decision\":null}";

/*
 * Finds the value of the first "correlation_id" string member of a JSON payload, as its raw
 * (still escaped) bytes, which can be copied into another JSON string unchanged.
 */
static int correlation_id(const unsigned char *json, size_t n, const unsigned char **id, size_t *id_len) {
    static const char key[] = "\"correlation_id\":\"";
    const size_t k = sizeof key - 1;
    for (size_t i = 0; i + k <= n; i++) {
        if (json[i] == '"' && memcmp(json + i, key, k) == 0) {
            size_t start = i + k, end = start;
            while (end < n && json[end] != '"') {
                end += json[end] == '\\' ? 2 : 1;
            }
            if (end > n) {
                return -1;
            }
            *id = json + start;
            *id_len = end - start;
            return 0;
        }
    }
    return -1;
}

/* Appends the AgentResponse frame (type byte included) answering an event payload with allow. */
static void answer_allow(buf_t *out, const unsigned char *payload, size_t n) {
    const unsigned char *id = (const unsigned char *) "";
    size_t id_len = 0;
    correlation_id(payload, n, &id, &id_len);
    size_t body = sizeof RESPONSE_HEAD - 1 + id_len + sizeof RESPONSE_TAIL - 1;
    unsigned char head[5];
    put_u32(head, (uint32_t) (body + 1));
    head[4] = T_AGENT_RESPONSE;
    buf_append(out, head, 5);
    buf_append(out, RESPONSE_HEAD, sizeof RESPONSE_HEAD - 1);
    buf_append(out, id, id_len);
    buf_append(out, RESPONSE_TAIL, sizeof RESPONSE_TAIL - 1);
}

static int is_event(unsigned char type) {
    return type >= 0x10 && type <= 0x17;
}

static char *socket_path;

static void on_signal(int sig) {
    (void) sig;
    if (socket_path) {
        unlink(socket_path);
    }
    _exit(0);
}

/* Binds and listens on the Unix socket at path (a stale file is removed first). */
static int listen_unix(const char *path) {
    struct sockaddr_un addr;
    if (strlen(path) >= sizeof addr.sun_path) {
        fprintf(stderr, "socket path too long: %s\n", path);
        exit(2);
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        die("socket");
    }
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    strcpy(addr.sun_path, path);
    unlink(path);
    if (bind(fd, (struct sockaddr *) &addr, sizeof addr) < 0) {
        die("bind");
    }
    if (listen(fd, 64) < 0) {
        die("listen");
    }
    socket_path = strdup(path);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGPIPE, SIG_IGN);
    return fd;
}

#endif
