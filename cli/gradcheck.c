/*
 * gradcheck.c -- the gradcheck command (flags in, report out; no math here).
 * For now only --version; the full command lands with the engine.
 */
#include <gradcheck.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        printf("gradcheck %s\n", GC_VERSION);
        return 0;
    }
    fprintf(stderr, "gradcheck: not implemented yet; try --version\n");
    return 2;
}
