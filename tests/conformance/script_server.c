/* script_server: a tiny scripted HTTP server for the tests (see
 * script_server.h). */
#define _GNU_SOURCE /* strcasestr */
#include "script_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define SCRIPT_MAX_RULES 32
#define SCRIPT_MAX_REQUEST (4u * 1024 * 1024) /* one request, headers and body */
#define SCRIPT_POLL_MS 50                     /* how often the loop looks at 'stop' */

struct script_server {
    const struct script_rule *rules;
    size_t n;
    int hits[SCRIPT_MAX_RULES];
    int fd;
    int stop_pipe[2];
    pthread_t thread;
    char base[64];
};

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Read one request into 'buf' (NUL-terminated); sets 'body' to its body.
 * Returns 0 or -1. */
static int read_request(int fd, char *buf, size_t cap, char **body)
{
    size_t len = 0, want = 0;
    char *end = NULL;
    int continued = 0;

    for (;;) {
        ssize_t r;
        if (end) {
            if (len - (size_t)(end + 4 - buf) >= want)
                break;
        }
        if (len + 1 >= cap)
            return -1;
        r = recv(fd, buf + len, cap - 1 - len, 0);
        if (r <= 0)
            return -1;
        len += (size_t)r;
        buf[len] = '\0';
        if (!end && (end = strstr(buf, "\r\n\r\n"))) {
            const char *cl = strcasestr(buf, "\r\ncontent-length:");
            want = cl && cl < end ? (size_t)strtoul(cl + 17, NULL, 10) : 0;
            if (!continued && strcasestr(buf, "\r\nexpect: 100-continue") &&
                len - (size_t)(end + 4 - buf) < want) {
                continued = 1;
                if (write_all(fd, "HTTP/1.1 100 Continue\r\n\r\n", 25) != 0)
                    return -1;
            }
        }
    }
    *body = end + 4;
    return 0;
}

static void answer(struct script_server *s, int fd, char *req)
{
    char *body = NULL, *sp, *target, head[256];
    const char *status_body = "{\"error\":{\"message\":\"no rule\",\"type\":"
                              "\"invalid_request_error\",\"param\":null,\"code\":null}}";
    const char *ctype = "application/json";
    int status = 404;
    size_t i;

    if (read_request(fd, req, SCRIPT_MAX_REQUEST, &body) != 0)
        return;
    sp = strchr(req, ' ');
    if (!sp)
        return;
    *sp = '\0';
    target = sp + 1;
    if ((sp = strchr(target, ' ')))
        *sp = '\0';
    for (i = 0; i < s->n; i++) {
        const struct script_rule *r = &s->rules[i];
        if (r->method && strcmp(r->method, req) != 0)
            continue;
        if (r->path && strncmp(target, r->path, strlen(r->path)) != 0)
            continue;
        if (r->body_has && !strstr(body, r->body_has))
            continue;
        if (r->times && s->hits[i] >= r->times)
            continue;
        s->hits[i]++;
        status = r->status;
        status_body = r->body ? r->body : "";
        ctype = r->content_type ? r->content_type : "application/json";
        break;
    }
    snprintf(head, sizeof(head),
             "HTTP/1.1 %d Scripted\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
             "Connection: close\r\n\r\n",
             status, ctype, strlen(status_body));
    if (write_all(fd, head, strlen(head)) == 0)
        write_all(fd, status_body, strlen(status_body));
}

static void *serve(void *arg)
{
    struct script_server *s = arg;
    char *req = malloc(SCRIPT_MAX_REQUEST);

    while (req) {
        struct pollfd p[2] = {{s->fd, POLLIN, 0}, {s->stop_pipe[0], POLLIN, 0}};
        int c;
        if (poll(p, 2, SCRIPT_POLL_MS) < 0 || p[1].revents)
            break;
        if (!(p[0].revents & POLLIN))
            continue;
        c = accept(s->fd, NULL, NULL);
        if (c < 0)
            continue;
        answer(s, c, req);
        shutdown(c, SHUT_WR);
        close(c);
    }
    free(req);
    return NULL;
}

struct script_server *script_start(const struct script_rule *rules, size_t n)
{
    struct script_server *s = calloc(1, sizeof(*s));
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);
    int one = 1;

    if (!s || n > SCRIPT_MAX_RULES)
        goto fail;
    s->rules = rules;
    s->n = n;
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (s->fd < 0)
        goto fail;
    setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(s->fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(s->fd, 16) != 0 ||
        getsockname(s->fd, (struct sockaddr *)&a, &alen) != 0 || pipe(s->stop_pipe) != 0)
        goto fail;
    snprintf(s->base, sizeof(s->base), "http://127.0.0.1:%d", ntohs(a.sin_port));
    if (pthread_create(&s->thread, NULL, serve, s) != 0)
        goto fail;
    return s;
fail:
    if (s && s->fd > 0)
        close(s->fd);
    free(s);
    return NULL;
}

const char *script_base(const struct script_server *s)
{
    return s->base;
}

int script_hits(const struct script_server *s, size_t i)
{
    return i < s->n ? s->hits[i] : 0;
}

void script_stop(struct script_server *s)
{
    ssize_t w;

    if (!s)
        return;
    w = write(s->stop_pipe[1], "x", 1); /* a pipe with room: it cannot fail */

    (void)w;
    pthread_join(s->thread, NULL);
    close(s->fd);
    close(s->stop_pipe[0]);
    close(s->stop_pipe[1]);
    free(s);
}
