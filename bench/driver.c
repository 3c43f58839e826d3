/*
 * driver.c -- the benchmark's process: build a network from a one-line
 * architecture, check every parameter, print one summary line.
 *
 * It does what `gradcheck --arch ...` does (gc_net_from_arch, gc_check_net,
 * a writer) with nothing else in the process, so that bench/run can time
 * whole processes even where the command lacks a flag.  Also writes the
 * network file (--save) that scripts/compare-pytorch loads.
 *
 * usage: driver --arch 784-128-10 --act sigmoid,identity --loss softmax_ce
 *               [--batch B] [--seed S] [--init xavier] [--engine fast|reference]
 *               [--threads N] [--screen] [--inputs] [--json FILE] [--save FILE]
 *               [--time N] [--verdict] [--quiet]
 * --time N: run the check N times and print "check_s=S", the median time of
 * gc_check_net alone (no process start, no network build, no report).
 * --verdict: the check `gradcheck -q` asks for (opts.drop_passes =
 * GC_DROP_STATS: the counts over every row, no passing row kept, no
 * statistic computed); without it, the whole report a writer needs.
 * exit: 0 every element passed, 1 a gradient failed, 2 usage or input error.
 */
#include <gradcheck.h>
#include <gradcheck/arch.h>
#include <gradcheck/netfile.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int usage(const char *msg)
{
    fprintf(stderr, "driver: %s\n", msg);
    fprintf(stderr, "usage: driver --arch A --act ACTS --loss L [--batch B] [--seed S] "
                    "[--init I] [--engine fast|reference] [--threads N] [--screen] [--inputs] "
                    "[--json FILE] [--save FILE] [--time N] [--verdict] [--quiet]\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *arch = NULL, *acts = "sigmoid", *loss = "mse", *json = NULL, *save = NULL;
    int batch = 1, quiet = 0, times = 0;
    unsigned long long seed = 1;
    gc_init init = GC_INIT_XAVIER;
    gc_check_opts o;
    gc_check_opts_init(&o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 1;
        if (strcmp(a, "--arch") == 0 && v)
            arch = v;
        else if (strcmp(a, "--act") == 0 && v)
            acts = v;
        else if (strcmp(a, "--loss") == 0 && v)
            loss = v;
        else if (strcmp(a, "--batch") == 0 && v)
            batch = atoi(v);
        else if (strcmp(a, "--seed") == 0 && v)
            seed = strtoull(v, NULL, 10);
        else if (strcmp(a, "--init") == 0 && v)
            init = strcmp(v, "uniform") == 0 ? GC_INIT_UNIFORM
                   : strcmp(v, "he") == 0    ? GC_INIT_HE
                                             : GC_INIT_XAVIER;
        else if (strcmp(a, "--engine") == 0 && v)
            o.engine = strcmp(v, "reference") == 0 ? GC_ENGINE_REFERENCE : GC_ENGINE_FAST;
        else if (strcmp(a, "--threads") == 0 && v)
            o.threads = atoi(v);
        else if (strcmp(a, "--json") == 0 && v)
            json = v;
        else if (strcmp(a, "--save") == 0 && v)
            save = v;
        else if (strcmp(a, "--time") == 0 && v)
            times = atoi(v);
        else {
            takes = 0;
            if (strcmp(a, "--screen") == 0)
                o.screen = 1;
            else if (strcmp(a, "--inputs") == 0)
                o.inputs = 1;
            else if (strcmp(a, "--quiet") == 0)
                quiet = 1;
            else if (strcmp(a, "--verdict") == 0)
                o.drop_passes = GC_DROP_STATS;
            else
                return usage(a);
        }
        i += takes;
    }
    if (arch == NULL)
        return usage("--arch is required");
    if (o.drop_passes != 0 && (json != NULL || !quiet))
        return usage("--verdict keeps no passing row: it takes --quiet and no --json");

    gc_error err = {0};
    gc_pcg32 rng;
    gc_arch_seed_rng(&rng, seed);
    gc_net *net = gc_net_from_arch(arch, acts, loss, batch, init, &rng, &err);
    if (net == NULL) {
        fprintf(stderr, "driver: %s\n", err.msg);
        return 2;
    }
    if (save != NULL && gc_net_save(net, save, &err) != GC_OK) {
        fprintf(stderr, "driver: %s\n", err.msg);
        gc_net_free(net);
        return 2;
    }
    if (times > 0) {
        double *t = malloc((size_t)times * sizeof *t);
        for (int k = 0; t != NULL && k < times; k++) {
            struct timespec t0, t1;
            gc_report *rk = NULL;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            int rc = gc_check_net(net, &o, &rk, &err);
            clock_gettime(CLOCK_MONOTONIC, &t1);
            gc_report_free(rk);
            if (rc != GC_OK) {
                fprintf(stderr, "driver: %s\n", err.msg);
                free(t);
                gc_net_free(net);
                return 2;
            }
            t[k] = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
            for (int j = k; j > 0 && t[j - 1] > t[j]; j--) { /* insertion: sorted */
                double x = t[j];
                t[j] = t[j - 1];
                t[j - 1] = x;
            }
        }
        if (t != NULL)
            printf("check_s=%.6f\n", t[times / 2]);
        free(t);
    }
    gc_report *r = NULL;
    if (gc_check_net(net, &o, &r, &err) != GC_OK) {
        fprintf(stderr, "driver: %s\n", err.msg);
        gc_net_free(net);
        return 2;
    }
    if (json != NULL) {
        FILE *f = fopen(json, "w");
        if (f == NULL || gc_report_write_json(r, f) != GC_OK) {
            fprintf(stderr, "driver: cannot write %s\n", json);
            if (f)
                fclose(f);
            gc_report_free(r);
            gc_net_free(net);
            return 2;
        }
        fclose(f);
    }
    if (!quiet) {
        /* Median rel_err over every checked element (the order is worst first). */
        const size_t *order = gc_report_order(r);
        double med = r->nrows > 0 && order != NULL ? r->rows[order[r->nrows / 2]].rel_err : 0.0;
        int screened = 0;
        for (int t = 0; t < r->ntensors; t++)
            screened += r->tensors[t].screened;
        printf("%s engine=%s rows=%zu pass=%d kink=%d fail=%d screened=%d median_rel=%.3g "
               "nevals=%llu\n",
               arch, gc_engine_name(r->opts.engine), r->nrows, r->npass, r->nkink, r->nfail,
               screened, med, r->nevals);
    }
    int failed = gc_report_failed(r);
    gc_report_free(r);
    gc_net_free(net);
    return failed ? 1 : 0;
}
