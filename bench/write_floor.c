/*
 * bench/write_floor.c -- what writing a report's bytes costs with nothing
 * else to do: the floor under a whole process's report time.
 *
 *   write_floor BYTES DEST
 *
 * Writes BYTES bytes ('0's, in 1 MiB write(2)s) to a new file DEST.floor-tmp
 * and puts it in DEST's place as gradcheck's report writer does
 * (lib/io/atomic.c): the two names exchanged (renameat2 RENAME_EXCHANGE),
 * then the old bytes unlinked; a rename when DEST does not exist yet.  No
 * fsync, as for a report.  bench/run times it as a process beside the JSON
 * report, with BYTES the size of that report.
 */
#define _GNU_SOURCE /* renameat2 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: write_floor BYTES DEST\n");
        return 2;
    }
    char *end;
    errno = 0;
    unsigned long long left = strtoull(argv[1], &end, 10);
    if (errno != 0 || *end != '\0' || end == argv[1]) {
        fprintf(stderr, "write_floor: BYTES: not a number: %s\n", argv[1]);
        return 2;
    }
    static char buf[1 << 20];
    memset(buf, '0', sizeof buf);
    size_t n = strlen(argv[2]);
    char *tmp = malloc(n + sizeof ".floor-tmp");
    if (tmp == NULL)
        return 1;
    memcpy(tmp, argv[2], n);
    memcpy(tmp + n, ".floor-tmp", sizeof ".floor-tmp");
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        perror(tmp);
        return 1;
    }
    while (left > 0) {
        size_t k = left < sizeof buf ? (size_t)left : sizeof buf;
        ssize_t w = write(fd, buf, k);
        if (w <= 0) {
            perror(tmp);
            return 1;
        }
        left -= (unsigned long long)w;
    }
    if (close(fd) != 0) {
        perror(tmp);
        return 1;
    }
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, argv[2], RENAME_EXCHANGE) == 0)
        (void)unlink(tmp);
    else if (rename(tmp, argv[2]) != 0) {
        perror(argv[2]);
        return 1;
    }
    free(tmp);
    return 0;
}
