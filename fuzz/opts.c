/*
 * fuzz/opts.c -- libFuzzer harness of the command's option parser
 * (cli_parse, cli/opts.c): the input is split at NUL bytes into arguments
 * after argv[0].  Never a crash, a leak or a sanitizer report; the parse
 * returns 0, or 2 with a one-line, non-empty message; a successful parse
 * names exactly one kind of check (or --help / --version).
 */
#include "cli.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz/opts: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    require(text != NULL, "malloc");
    memcpy(text, data, size);
    text[size] = '\0';
    char *argv[MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = "gradcheck";
    for (size_t at = 0; at <= size && argc <= MAX_ARGS; at += strlen(text + at) + 1)
        argv[argc++] = text + at;
    argv[argc] = NULL;
    cli_opts o;
    char msg[GC_ERROR_MAX + 128] = "";
    int rc = cli_parse(argc, argv, &o, msg, sizeof msg);
    require(rc == 0 || rc == 2, "a status other than 0 or 2");
    if (rc == 2) {
        require(msg[0] != '\0', "refused without a message");
        require(strchr(msg, '\n') == NULL, "a message of more than one line");
    } else if (!o.help && !o.version) {
        int kinds = (o.net_path != NULL) + (o.arch != NULL) + (o.layer != NULL);
        require(kinds == 1, "accepted with no network, or more than one");
    }
    free(o.params);
    free(o.sweep_elems);
    free(text);
    return 0;
}
