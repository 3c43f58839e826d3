/*
 * gelu_main.c -- the README's first example: an existing float32 C function
 * (block.c's GELU, outputs first) checked as it is, in a dozen lines.
 * `build/examples/gelu` prints the report; exit 0 when it passes.  With
 * the argument f64 it checks the double twin instead.
 */
#include <gradcheck.h>
#include <string.h>

#include "block.h"

static void fwd(gc_func_call *c) { gelu_forward(c->v[0], c->v[1], 24); }
static void bwd(gc_func_call *c) { gelu_backward(c->d[1], c->v[1], c->d[0], 24); }
static void fwd64(gc_func_call *c) { gelu_forward_f64(c->v[0], c->v[1], 24); }
static void bwd64(gc_func_call *c) { gelu_backward_f64(c->d[1], c->v[1], c->d[0], 24); }

int main(int argc, char **argv)
{
    int f64 = argc > 1 && strcmp(argv[1], "f64") == 0;
    gc_dtype t = f64 ? GC_DTYPE_F64 : GC_DTYPE_F32;
    gc_func f;
    gc_func_init(&f, f64 ? fwd64 : fwd, f64 ? bwd64 : bwd, NULL);
    gc_func_add(&f, "out", GC_ROLE_OUTPUT, t, 3, 2, 3, 4, 0); /* (B, T, C) */
    gc_func_add(&f, "inp", GC_ROLE_INPUT, t, 3, 2, 3, 4, 0);
    gc_report *r;
    gc_error err = {0, {0}};
    if (gc_check_func(&f, NULL, &r, &err) != GC_OK) {
        fprintf(stderr, "gelu: %s\n", err.msg);
        return 2;
    }
    gc_report_write_text(r, stdout);
    int failed = gc_report_failed(r);
    gc_report_free(r);
    return failed;
}
