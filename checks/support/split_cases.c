/*
 * split_cases.c -- the command lines of split_cases.h.
 */
#include "split_cases.h"
#include "testutil.h"

#include <check.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each row: its exit status, then its flags. */
static const struct {
    int status;
    const char *args[CLI_RUN_MAX_ARGS];
} cases[SPLIT_NCASES] = {
    /* the command */
    {0, {"--arch", "64-32-10", "--act", "tanh,identity", "--loss", "softmax_ce", "--batch", "4",
         "--seed", "5", "--inputs", NULL}},
    {0, {"--arch", "6-5-3", "--act", "tanh,sigmoid", "--loss", "mse", "--batch", "2",
         "--method", "richardson", "--adaptive", "--sample", "7", "--seed", "3", NULL}},
    /* screened tensors (no rows) among sampled ones */
    {0, {"--arch", "8-6-2", "--loss", "bce", "--batch", "3", "--screen", "--sample", "5",
         "--init", "xavier", NULL}},
    /* relu kinks, forward differences, the reference engine */
    {0, {"--arch", "5-4-3", "--act", "relu,identity", "--loss", "softmax_ce", "--method",
         "forward", "--engine", "reference", "--inputs", "--seed", "2", NULL}},
    /* refuted rows (W and b of a dense layer whose backward drops the last
     * example): slopes, worst lists, JUnit failures */
    {1, {"--layer", "@BIN/mutants/libdense_drop_last_col.so:mutant_plugin", "--in", "4",
         "--out", "3", "--batch", "2", "--no-hygiene", NULL}},
    {0, {"--layer", "dense", "--in", "5", "--out", "3", "--batch", "2", "--no-hygiene", NULL}},
    {0, {"--layer", "@BIN/examples/libscale.so:scale_plugin", "--width", "4", "--batch", "3",
         "--no-hygiene", NULL}},
    {0, {"--net", "@FIX/nets/deep4_softmax_ce_soft.json", "--param", "W1", "--param", "b3",
         "--param", "x", "--threads", "1", NULL}},
    /* a check with no rows at all: every tensor screened */
    {0, {"--arch", "3-2-1", "--loss", "bce", "--screen", NULL}},
};

static char subst[CLI_RUN_MAX_ARGS][700];

static const char *expand(int i, const char *a)
{
    const char *key = NULL, *root = NULL;
    char bindir[512];
    if (strncmp(a, "@FIX/", 5) == 0) {
        key = a + 5;
        root = tu_fixtures();
    } else if (strncmp(a, "@BIN/", 5) == 0) {
        const char *bin = gc_bin(), *slash = strrchr(bin, '/');
        snprintf(bindir, sizeof bindir, "%.*s", slash != NULL ? (int)(slash - bin) : 1,
                 slash != NULL ? bin : ".");
        key = a + 5;
        root = bindir;
    } else {
        return a;
    }
    snprintf(subst[i], sizeof subst[i], "%s/%s", root, key);
    return subst[i];
}

void split_args(int c, const char *const *extra, const char **argv)
{
    int n = 0;
    for (int i = 0; cases[c].args[i] != NULL; i++, n++)
        argv[n] = expand(n, cases[c].args[i]);
    for (int i = 0; extra != NULL && extra[i] != NULL; i++) {
        ck_assert_int_lt(n, CLI_RUN_MAX_ARGS);
        argv[n++] = extra[i];
    }
    argv[n] = NULL;
}

const char *split_name(int c)
{
    static char line[512];
    size_t used = 0;
    line[0] = '\0';
    for (int i = 0; cases[c].args[i] != NULL && used < sizeof line; i++)
        used += (size_t)snprintf(line + used, sizeof line - used, "%s%s", i ? " " : "",
                                 cases[c].args[i]);
    return line;
}

int split_status(int c)
{
    return cases[c].status;
}

/* The line of s (n bytes) that holds offset at, at most 120 bytes of it. */
static void line_at(char *buf, size_t size, const char *s, size_t n, size_t at)
{
    size_t lo = at > n ? n : at, hi = lo;
    while (lo > 0 && s[lo - 1] != '\n' && at - lo < 60)
        lo--;
    while (hi < n && s[hi] != '\n' && hi - lo < 120)
        hi++;
    snprintf(buf, size, "%.*s", (int)(hi - lo), s + lo);
}

const char *split_diff(const char *a, size_t na, const char *b, size_t nb)
{
    static char msg[512];
    size_t k = 0;
    while (k < na && k < nb && a[k] == b[k])
        k++;
    if (k == na && k == nb)
        return "";
    char la[160], lb[160];
    line_at(la, sizeof la, a, na, k);
    line_at(lb, sizeof lb, b, nb, k);
    snprintf(msg, sizeof msg, "first difference at byte %zu of %zu/%zu:\n  want [%s]\n  got  [%s]",
             k, na, nb, la, lb);
    return msg;
}
