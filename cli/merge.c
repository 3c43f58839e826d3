/*
 * merge.c -- `gradcheck merge`: the whole report from the JSON reports of
 * the parts of a split check (`gradcheck --shard K/N --format json`).
 *
 * Each part is read back (gc_report_read_json: every number bit-identical),
 * the library puts them together (gc_report_merge: refuses parts of other
 * networks, options or seeds, and missing or repeated parts), and the
 * whole report goes to the usual writer -- the bytes the unsplit check
 * prints.  Errors are one line, "gradcheck: merge: FILE: ...", exit 2.
 */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define MSG_MAX (GC_ERROR_MAX + 128)

static void usage(FILE *f)
{
    fprintf(f, "Usage: gradcheck merge [--format F] [-o FILE] [-q] SHARD.json ...\n"
               "\n"
               "The whole report of a check split by --shard K/N, from the JSON reports of\n"
               "all N parts (any order): the bytes the unsplit check prints.\n"
               "\n"
               "  --format F          text, json or junit [text]\n"
               "  -o, --output FILE   write the report to FILE (atomically) instead of stdout\n"
               "  -q, --quiet         no report on stdout; the exit status says it all\n"
               "  -h, --help          this help, then exit\n"
               "\n"
               "Exit status: the whole check's (0 confirmed, 1 refuted, 3 undecided), or 2\n"
               "for a usage or input error: unreadable parts, parts of other networks,\n"
               "options or seeds, a part missing or given twice (one line on stderr).\n");
}

typedef struct merge_opts {
    cli_format format;
    const char *output;
    int quiet, help;
} merge_opts;

/* 0, or 2 with msg set; *first is the index of the first file argument. */
static int parse(int argc, char **argv, merge_opts *m, int *first, char *msg, size_t size)
{
    static const struct option longs[] = {
        {"format", required_argument, NULL, 'f'}, {"output", required_argument, NULL, 'o'},
        {"quiet", no_argument, NULL, 'q'},        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    static const char *const formats[] = {"text", "json", "junit"};
    memset(m, 0, sizeof *m);
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":o:qh", longs, NULL)) != -1) {
        switch (c) {
        case 'f': {
            int found = -1;
            for (int i = 0; i < 3; i++)
                if (strcmp(optarg, formats[i]) == 0)
                    found = i;
            if (found < 0) {
                snprintf(msg, size, "merge: --format: expected text, json or junit, got '%s'",
                         optarg);
                return 2;
            }
            m->format = (cli_format)found;
            break;
        }
        case 'o': m->output = optarg; break;
        case 'q': m->quiet = 1; break;
        case 'h': m->help = 1; break;
        case ':':
            snprintf(msg, size, "merge: %s: expected a value", argv[optind - 1]);
            return 2;
        default:
            snprintf(msg, size, "merge: unknown option '%s' (see gradcheck merge --help)",
                     argv[optind - 1]);
            return 2;
        }
    }
    *first = optind;
    if (!m->help && optind >= argc) {
        snprintf(msg, size, "merge: no reports: give the JSON of every --shard K/N");
        return 2;
    }
    return 0;
}

/* The whole report from files[0 .. n), or NULL with msg set. */
static gc_report *merge_files(char **files, int n, char *msg, size_t size)
{
    gc_report **parts = calloc((size_t)n, sizeof *parts);
    gc_report *whole = NULL;
    gc_error err = {0};
    if (parts == NULL) {
        snprintf(msg, size, "merge: out of memory");
        return NULL;
    }
    int ok = 1;
    for (int i = 0; i < n && ok; i++) {
        if (gc_report_read_json(files[i], &parts[i], &err) != GC_OK) {
            snprintf(msg, size, "merge: %s", err.msg);
            ok = 0;
        } else if (parts[i]->opts.nshards == 0) {
            snprintf(msg, size, "merge: %s: not a shard (no \"shard\" object: it was not run "
                     "with --shard K/N)", files[i]);
            ok = 0;
        }
    }
    int bad = -1;
    if (ok && gc_report_merge((const gc_report *const *)parts, n, &whole, &bad, &err) != GC_OK) {
        if (bad >= 0)
            snprintf(msg, size, "merge: %s: %s", files[bad], err.msg);
        else
            snprintf(msg, size, "merge: %s", err.msg);
    }
    for (int i = 0; i < n; i++)
        gc_report_free(parts[i]);
    free(parts);
    return whole;
}

int cli_merge(int argc, char **argv)
{
    char msg[MSG_MAX] = "";
    merge_opts m;
    cli_out out = {0};
    gc_report *whole = NULL;
    int first = 0, status = 2;
    if (parse(argc, argv, &m, &first, msg, sizeof msg) != 0)
        goto fail;
    if (m.help) {
        usage(stdout);
        status = fflush(stdout) != 0 || ferror(stdout) ? 2 : 0;
        goto done;
    }
    if (m.output != NULL && cli_out_open(&out, m.output, msg, sizeof msg) != 0)
        goto fail;
    whole = merge_files(argv + first, argc - first, msg, sizeof msg);
    if (whole == NULL)
        goto fail;
    if (m.output != NULL) {
        if (cli_write_report(whole, m.format, out.f) != GC_OK) {
            snprintf(msg, sizeof msg, "--output: %s: writing the report failed", m.output);
            goto fail;
        }
        if (cli_out_commit(&out, msg, sizeof msg) != 0)
            goto fail;
    } else if (!m.quiet) {
        if (cli_write_report(whole, m.format, stdout) != GC_OK || fflush(stdout) != 0) {
            snprintf(msg, sizeof msg, "stdout: writing the report failed");
            goto fail;
        }
    }
    status = (int)gc_report_status(whole);
    goto done;
fail:
    fprintf(stderr, "gradcheck: %s\n", msg);
    status = 2;
done:
    cli_out_abort(&out);
    gc_report_free(whole);
    return status;
}
