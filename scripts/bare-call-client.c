/* The bare baseline of `tenon call`: the same request on the same control
 * socket from a C program that does nothing else (no runtime, no argument
 * parser, no JSON library). Used by scripts/call-startup.
 * Usage: bare-call-client SOCKET PLUGIN COMMAND (no arguments to the command). */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s SOCKET PLUGIN COMMAND\n", argv[0]);
        return 2;
    }
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    strncpy(a.sun_path, argv[1], sizeof a.sun_path - 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        perror(argv[1]);
        return 1;
    }
    char req[1024], resp[65536];
    int n = snprintf(req, sizeof req,
                     "{\"version\":1,\"request\":{\"op\":\"call\",\"plugin\":\"%s\",\"command\":\"%s\",\"arguments\":[]}}\n",
                     argv[2], argv[3]);
    if (n <= 0 || (size_t)n >= sizeof req || write(fd, req, (size_t)n) != n) {
        perror("write");
        return 1;
    }
    size_t got = 0;
    while (got < sizeof resp - 1) {
        ssize_t r = read(fd, resp + got, sizeof resp - 1 - got);
        if (r <= 0) break;
        got += (size_t)r;
        if (resp[got - 1] == '\n') break;
    }
    resp[got] = 0;
    fputs(resp, stdout);
    return strstr(resp, "\"status\":\"ok\"") ? 0 : 1;
}
