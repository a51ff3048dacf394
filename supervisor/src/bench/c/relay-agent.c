#define _GNU_SOURCE
/*
 * Floor 2 of the benchmark: the agent's two-hop shape in C. A server process reads the proxy's
 * frames and forwards every event over a pipe to one of its child processes (round robin); the
 * child answers allow with the event's correlation id over a second pipe; a reader thread per
 * child in the server writes each answer to its connection. The server answers the handshake
 * itself, as the supervisor does.
 *
 *   connection thread --pipe--> child --pipe--> pipe reader thread --socket--> proxy
 *
 * Like echo-agent, it batches: all frames of one read() go out in one write() per pipe or
 * connection. Pipe messages both ways: [u32 length][u32 connection][the proxy frame as it is on
 * the socket: u32 length, type, payload], the first length counting everything after itself.
 *
 * usage: relay-agent SOCKET [CHILDREN]   (2 children by default, as the agent has 2 workers)
 */
#include <pthread.h>
#include <sys/wait.h>

#include "floor.h"

#define MAX_CONN 256
#define MAX_CHILDREN 16

typedef struct {
    pthread_mutex_t lock;
    int fd;          /* -1 when free */
    uint32_t generation;
} conn_t;

typedef struct {
    pthread_mutex_t lock;   /* guards writes to to_child */
    int to_child;
    int from_child;
} child_t;

static conn_t conns[MAX_CONN];
static pthread_mutex_t conns_lock = PTHREAD_MUTEX_INITIALIZER;
static child_t children[MAX_CHILDREN];
static int child_count = 2;
static unsigned next_child;

/* ---------------------------------------------------------------- child process */

static void child_loop(int in_fd, int out_fd) {
    buf_t in = {0}, out = {0};
    while (read_more(in_fd, &in) > 0) {
        size_t at = 0;
        long len;
        out.len = 0;
        while ((len = message_at(&in, at, MAX_FRAME + 8)) > 0) {
            const unsigned char *msg = in.data + at + 4;      /* connection, then the event frame */
            const unsigned char *payload = msg + 4 + 5;
            size_t n = (size_t) len - 4 - 5;
            size_t mark = out.len;
            unsigned char head[8] = {0};
            buf_append(&out, head, 8);
            answer_allow(&out, payload, n);
            put_u32(out.data + mark, (uint32_t) (out.len - mark - 4));
            memcpy(out.data + mark + 4, msg, 4);
            at += 4 + (size_t) len;
        }
        consume(&in, at);
        if (len < 0 || (out.len > 0 && write_all(out_fd, out.data, out.len) < 0)) {
            break;
        }
    }
    _exit(0); /* the server is gone */
}

/* ---------------------------------------------------------------- server: answers from a child */

typedef struct {
    uint32_t id;
    buf_t frames;
} pending_t;

static void *pipe_reader(void *arg) {
    child_t *child = arg;
    buf_t in = {0};
    pending_t pending[MAX_CONN];
    memset(pending, 0, sizeof pending);
    while (read_more(child->from_child, &in) > 0) {
        size_t at = 0;
        long len;
        int used = 0;
        while ((len = message_at(&in, at, MAX_FRAME + 8)) > 0) {
            uint32_t id = get_u32(in.data + at + 4);
            const unsigned char *frame = in.data + at + 8;   /* the whole AgentResponse frame */
            int k = 0;
            while (k < used && pending[k].id != id) {
                k++;
            }
            if (k == used) {
                pending[used].id = id;
                pending[used].frames.len = 0;
                used++;
            }
            buf_append(&pending[k].frames, frame, (size_t) len - 4);
            at += 4 + (size_t) len;
        }
        consume(&in, at);
        for (int k = 0; k < used; k++) {
            conn_t *c = &conns[pending[k].id % MAX_CONN];
            pthread_mutex_lock(&c->lock);
            if (c->fd >= 0 && c->generation == pending[k].id / MAX_CONN) {
                write_all(c->fd, pending[k].frames.data, pending[k].frames.len);
            }
            pthread_mutex_unlock(&c->lock);
        }
        if (len < 0) {
            break;
        }
    }
    fprintf(stderr, "relay-agent: a child closed its pipe\n");
    exit(1);
}

/* ---------------------------------------------------------------- server: one proxy connection */

static void *serve(void *arg) {
    int slot = (int) (intptr_t) arg;
    conn_t *c = &conns[slot];
    int fd = c->fd;
    uint32_t id = c->generation * MAX_CONN + (uint32_t) slot;
    buf_t in = {0}, reply = {0};
    buf_t to[MAX_CHILDREN];
    memset(to, 0, sizeof to);
    while (read_more(fd, &in) > 0) {
        size_t at = 0;
        long len;
        reply.len = 0;
        for (int i = 0; i < child_count; i++) {
            to[i].len = 0;
        }
        while ((len = message_at(&in, at, MAX_FRAME)) > 0) {
            unsigned char type = in.data[at + 4];
            if (type == T_HANDSHAKE_REQUEST) {
                frame_append(&reply, T_HANDSHAKE_RESPONSE, HANDSHAKE_RESPONSE, sizeof HANDSHAKE_RESPONSE - 1);
            } else if (type == T_PING) {
                frame_append(&reply, T_PONG, in.data + at + 5, (size_t) len - 1);
            } else if (is_event(type)) {
                int k = (int) (__atomic_fetch_add(&next_child, 1, __ATOMIC_RELAXED) % (unsigned) child_count);
                unsigned char head[8];
                put_u32(head, (uint32_t) len + 8);
                put_u32(head + 4, id);
                buf_append(&to[k], head, 8);
                buf_append(&to[k], in.data + at, 4 + (size_t) len);
            }
            at += 4 + (size_t) len;
        }
        if (len < 0) {
            fprintf(stderr, "relay-agent: bad frame length %u\n", get_u32(in.data + at));
            break;
        }
        consume(&in, at);
        for (int k = 0; k < child_count; k++) {
            if (to[k].len > 0) {
                pthread_mutex_lock(&children[k].lock);
                int failed = write_all(children[k].to_child, to[k].data, to[k].len);
                pthread_mutex_unlock(&children[k].lock);
                if (failed < 0) {
                    die("write to child");
                }
            }
        }
        if (reply.len > 0) {
            pthread_mutex_lock(&c->lock);
            int failed = write_all(fd, reply.data, reply.len);
            pthread_mutex_unlock(&c->lock);
            if (failed < 0) {
                break;
            }
        }
    }
    pthread_mutex_lock(&c->lock);
    close(fd);
    c->fd = -1;
    pthread_mutex_unlock(&c->lock);
    free(in.data);
    free(reply.data);
    for (int k = 0; k < MAX_CHILDREN; k++) {
        free(to[k].data);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s SOCKET [CHILDREN]\n", argv[0]);
        return 2;
    }
    if (argc == 3) {
        child_count = atoi(argv[2]);
        if (child_count < 1 || child_count > MAX_CHILDREN) {
            fprintf(stderr, "children must be between 1 and %d\n", MAX_CHILDREN);
            return 2;
        }
    }
    for (int i = 0; i < MAX_CONN; i++) {
        pthread_mutex_init(&conns[i].lock, NULL);
        conns[i].fd = -1;
    }
    int server = listen_unix(argv[1]);
    for (int i = 0; i < child_count; i++) {
        int down[2], up[2];
        if (pipe(down) < 0 || pipe(up) < 0) {
            die("pipe");
        }
        pid_t pid = fork();
        if (pid < 0) {
            die("fork");
        }
        if (pid == 0) {
            socket_path = NULL; /* only the server removes the socket */
            signal(SIGTERM, SIG_DFL);
            signal(SIGINT, SIG_DFL);
            close(server);
            close(down[1]);
            close(up[0]);
            for (int k = 0; k < i; k++) {
                close(children[k].to_child);
                close(children[k].from_child);
            }
            child_loop(down[0], up[1]);
        }
        close(down[0]);
        close(up[1]);
        pthread_mutex_init(&children[i].lock, NULL);
        children[i].to_child = down[1];
        children[i].from_child = up[0];
    }
    for (int i = 0; i < child_count; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, pipe_reader, &children[i]) != 0) {
            die("pthread_create");
        }
        pthread_detach(t);
    }
    fprintf(stderr, "relay-agent: listening on %s with %d children\n", argv[1], child_count);
    for (;;) {
        int fd = accept4(server, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR) {
                continue;
            }
            die("accept");
        }
        int slot = -1;
        pthread_mutex_lock(&conns_lock);
        for (int i = 0; i < MAX_CONN; i++) {
            if (conns[i].fd < 0) {
                slot = i;
                break;
            }
        }
        if (slot >= 0) {
            pthread_mutex_lock(&conns[slot].lock);
            conns[slot].fd = fd;
            conns[slot].generation++;
            pthread_mutex_unlock(&conns[slot].lock);
        }
        pthread_mutex_unlock(&conns_lock);
        if (slot < 0) {
            close(fd);
            continue;
        }
        pthread_t t;
        if (pthread_create(&t, NULL, serve, (void *) (intptr_t) slot) != 0) {
            die("pthread_create");
        }
        pthread_detach(t);
    }
}
