/* The smallest program on the installed librespmock: built with exactly
 * `pkg-config --cflags --libs respmock` (no other library), it starts a mock
 * on the shipped fixtures (the library's default, found from its prefix),
 * sends POST /v1/responses over a plain socket and prints what it got. Exit
 * 0 for a 200 with a Response object. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <respmock.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
    static const char body[] = "{\"model\":\"gpt-4.1-mini\",\"input\":\"Say hello\"}";
    struct respmock_options o;
    struct sockaddr_in a;
    char err[512], req[512], reply[65536];
    size_t used = 0;
    ssize_t n;
    int fd, status = 0;
    respmock *m;

    respmock_options_init(&o);
    o.log_level = RESPMOCK_LOG_WARN;
    m = respmock_start(&o, err, sizeof(err));
    if (!m) {
        fprintf(stderr, "respmock_start: %s\n", err);
        return 1;
    }
    printf("fixtures from %s\n", respmock_fixtures_dir(m));
    printf("base url %s\n", respmock_base_url(m));
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)respmock_port(m));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        perror("connect");
        respmock_stop(m);
        return 1;
    }
    snprintf(req, sizeof(req),
             "POST /v1/responses HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer test\r\n"
             "Content-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
             strlen(body), body);
    if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
        perror("write");
        return 1;
    }
    while (used < sizeof(reply) - 1 && (n = read(fd, reply + used, sizeof(reply) - 1 - used)) > 0)
        used += (size_t)n;
    reply[used] = '\0';
    close(fd);
    sscanf(reply, "HTTP/1.%*d %d", &status);
    printf("status %d\n", status);
    respmock_stop(m);
    return status == 200 && strstr(reply, "\"object\":\"response\"") ? 0 : 1;
}
