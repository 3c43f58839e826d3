/*
 * limit.c -- the arithmetic limit of a check, measured on this machine.
 *
 * usage: limit IN-HIDDEN-OUT B
 * prints one line: fma_ns exp_ns vexp_ns scalar_s vector_s, where
 *   fma_ns   one scalar fused multiply-add, 8 independent chains (throughput);
 *   exp_ns   one call of libm's exp over an array (throughput);
 *   vexp_ns  one element of glibc's libmvec vector exp (AVX-512 8 lanes when
 *            the processor has it, else AVX2 4 lanes);
 *   scalar_s, vector_s  the time the sparse-change work of checking every
 *            weight and bias of that one-hidden-layer network (sigmoid
 *            hidden, softmax_ce on OUT logits, central differences) takes
 *            at those rates, with scalar or vector exp.
 *
 * The work counted, per element, is that of evaluating each loss afresh
 * after the sparse change: 2 loss evaluations, each over B examples of
 * OUT exps and a log (counted as one exp) for softmax_ce, plus, when the
 * element feeds a hidden unit (W1, b1), one sigmoid exp and OUT
 * multiply-adds for the rank-1 change of the logits; an output element
 * (W2, b2) changes one logit: one multiply-add.  Everything else (the
 * dense forward passes done once, bookkeeping, memory) is left out.  A
 * loss that starts from the cached output's exps (softmax_ce's
 * values_near) does less than this.
 */
#include <immintrin.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define N 4096
#define REPS 200

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The best of 7 timings of f, in ns per element of n elements. */
static double best(double (*f)(double *, int), double *x, int n)
{
    double b = INFINITY;
    for (int k = 0; k < 7; k++) {
        double t0 = now();
        volatile double sink = f(x, n);
        (void)sink;
        double t = (now() - t0) * 1e9 / ((double)n * REPS);
        if (t < b)
            b = t;
    }
    return b;
}

static double fma_loop(double *x, int n)
{
    double a[8] = {0};
    for (int r = 0; r < REPS; r++)
        for (int i = 0; i < n; i += 8)
            for (int j = 0; j < 8; j++)
                a[j] = fma(a[j], 0.999999, x[i + j]);
    return a[0] + a[1] + a[2] + a[3] + a[4] + a[5] + a[6] + a[7];
}

static double exp_loop(double *x, int n)
{
    double s = 0;
    for (int r = 0; r < REPS; r++)
        for (int i = 0; i < n; i++)
            s += exp(x[i]);
    return s;
}

__m256d _ZGVdN4v_exp(__m256d x);
__m512d _ZGVeN8v_exp(__m512d x);

__attribute__((target("avx2"))) static double vexp4_loop(double *x, int n)
{
    __m256d s = _mm256_setzero_pd();
    for (int r = 0; r < REPS; r++)
        for (int i = 0; i < n; i += 4)
            s = _mm256_add_pd(s, _ZGVdN4v_exp(_mm256_loadu_pd(x + i)));
    double o[4];
    _mm256_storeu_pd(o, s);
    return o[0] + o[1] + o[2] + o[3];
}

__attribute__((target("avx512f"))) static double vexp8_loop(double *x, int n)
{
    __m512d s = _mm512_setzero_pd();
    for (int r = 0; r < REPS; r++)
        for (int i = 0; i < n; i += 8)
            s = _mm512_add_pd(s, _ZGVeN8v_exp(_mm512_loadu_pd(x + i)));
    return _mm512_reduce_add_pd(s);
}

int main(int argc, char **argv)
{
    int in, hid, out, B;
    if (argc != 3 || sscanf(argv[1], "%d-%d-%d", &in, &hid, &out) != 3 ||
        (B = atoi(argv[2])) < 1) {
        fprintf(stderr, "usage: limit IN-HIDDEN-OUT B\n");
        return 2;
    }
    double *x = malloc(N * sizeof *x);
    for (int i = 0; i < N; i++)
        x[i] = -4.0 + 8.0 * i / N; /* logits' range */
    double fma_ns = best(fma_loop, x, N), exp_ns = best(exp_loop, x, N);
    __builtin_cpu_init();
    double vexp_ns = __builtin_cpu_supports("avx512f") ? best(vexp8_loop, x, N)
                     : __builtin_cpu_supports("avx2")  ? best(vexp4_loop, x, N)
                                                       : exp_ns;
    /* elements: feeding a hidden unit (W1, b1), and output ones (W2, b2) */
    double hidden = (double)in * hid + hid, output = (double)hid * out + out;
    double evals = 2.0 * B;
    double exps = evals * (hidden * (out + 2) + output * (out + 1));
    double fmas = evals * (hidden * out + output);
    printf("%.3f %.3f %.3f %.6f %.6f\n", fma_ns, exp_ns, vexp_ns,
           (exps * exp_ns + fmas * fma_ns) * 1e-9, (exps * vexp_ns + fmas * fma_ns) * 1e-9);
    free(x);
    return 0;
}
