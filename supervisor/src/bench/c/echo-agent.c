#define _GNU_SOURCE
/*
 * Floor 1 of the benchmark: the least an agent can do on the proxy's socket. One thread per
 * connection reads frames, answers the handshake and every event with an allow AgentResponse
 * carrying the event's correlation id, and writes all answers to the frames of one read() with
 * one write(). No JSON parsing, no hop, no decision.
 *
 * usage: echo-agent SOCKET
 */
#include <pthread.h>

#include "floor.h"

static void *serve(void *arg) {
    int fd = (int) (intptr_t) arg;
    buf_t in = {0}, out = {0};
    while (read_more(fd, &in) > 0) {
        size_t at = 0;
        long len;
        out.len = 0;
        while ((len = message_at(&in, at, MAX_FRAME)) > 0) {
            unsigned char type = in.data[at + 4];
            const unsigned char *payload = in.data + at + 5;
            size_t n = (size_t) len - 1;
            if (type == T_HANDSHAKE_REQUEST) {
                frame_append(&out, T_HANDSHAKE_RESPONSE, HANDSHAKE_RESPONSE, sizeof HANDSHAKE_RESPONSE - 1);
            } else if (is_event(type)) {
                answer_allow(&out, payload, n);
            } else if (type == T_PING) {
                frame_append(&out, T_PONG, payload, n);
            }
            at += 4 + (size_t) len;
        }
        if (len < 0) {
            fprintf(stderr, "echo-agent: bad frame length %u\n", get_u32(in.data + at));
            break;
        }
        consume(&in, at);
        if (out.len > 0 && write_all(fd, out.data, out.len) < 0) {
            break;
        }
    }
    close(fd);
    free(in.data);
    free(out.data);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s SOCKET\n", argv[0]);
        return 2;
    }
    int server = listen_unix(argv[1]);
    fprintf(stderr, "echo-agent: listening on %s\n", argv[1]);
    for (;;) {
        int fd = accept4(server, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR) {
                continue;
            }
            die("accept");
        }
        pthread_t t;
        if (pthread_create(&t, NULL, serve, (void *) (intptr_t) fd) != 0) {
            die("pthread_create");
        }
        pthread_detach(t);
    }
}
