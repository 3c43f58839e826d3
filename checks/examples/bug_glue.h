/* clang-format off: one planted bug per line */
/*
 * bug_glue.h -- the planted bugs, as backward callbacks for block_glue.h's
 * factories: one structural mutant per layer (examples/block_mutants.c) and
 * one 1e-3 relative error in the largest element of one gradient (plant).
 * Included twice by check_block.c, as block_glue.h.
 */

static void FN(ln_bwd_mut)(gc_func_call *c) { const shape *s = c->ctx;
    FN(layernorm_backward_no_var_term)(c->d[3], c->d[4], c->d[5], c->d[0], c->v[3], c->v[4], c->v[1], c->v[2], s->B, s->T, s->C); }
static void FN(mm_bwd_mut)(gc_func_call *c) { const shape *s = c->ctx;
    FN(matmul_backward_dw_assign)(c->d[1], c->d[2], c->d[3], c->d[0], c->v[1], c->v[2], s->B, s->T, s->C, s->OC); }
static void FN(at_bwd_mut)(gc_func_call *c) { const shape *s = c->ctx;
    FN(attention_backward_dv_index)(c->d[3], c->v[4], c->v[5], c->d[0], c->v[3], c->v[2], s->B, s->T, s->C, s->NH); }
static void FN(ge_bwd_mut)(gc_func_call *c) { const shape *s = c->ctx;
    FN(gelu_backward_no_cubic)(c->d[1], c->v[1], c->d[0], s->B * s->T * s->C); }
static void FN(re_bwd_mut)(gc_func_call *c) { const shape *s = c->ctx;
    FN(residual_backward_shifted)(c->d[1], c->d[2], c->d[0], s->B * s->T * s->C); }
static void FN(en_bwd_mut)(gc_func_call *c) { const shape *s = c->ctx;
    FN(encoder_backward_dwpe_assign)(c->d[2], c->d[3], c->d[0], c->v[1], s->B, s->T, s->C); }
static void FN(ce_bwd_mut)(gc_func_call *c) { const shape *s = c->ctx;
    FN(crossentropy_backward_dloss_index)(c->d[2], c->d[0], c->v[1], c->v[3], s->B, s->T, s->V); }

static void FN(ln_bwd_1e3)(gc_func_call *c) { FN(ln_bwd)(c); plant(c, 4, DT); }
static void FN(mm_bwd_1e3)(gc_func_call *c) { FN(mm_bwd)(c); plant(c, 1, DT); }
static void FN(at_bwd_1e3)(gc_func_call *c) { FN(at_bwd)(c); plant(c, 3, DT); }
static void FN(ge_bwd_1e3)(gc_func_call *c) { FN(ge_bwd)(c); plant(c, 1, DT); }
static void FN(re_bwd_1e3)(gc_func_call *c) { FN(re_bwd)(c); plant(c, 2, DT); }
static void FN(en_bwd_1e3)(gc_func_call *c) { FN(en_bwd)(c); plant(c, 3, DT); }
static void FN(ce_bwd_1e3)(gc_func_call *c) { FN(ce_bwd)(c); plant(c, 2, DT); }

/* Each layer's factory with its correct backward, its mutant, its 1e-3 bug;
 * the table gives the gradient plant() changes, as the _1e3 backward says. */
#define GLUE_CASES_(l) \
    static int FN(l##_ok)(gc_func *f, gc_pcg32 *r) { return FN(l##_spec)(f, r, FN(l##_bwd), 1); } \
    static int FN(l##_mut)(gc_func *f, gc_pcg32 *r) { return FN(l##_spec)(f, r, FN(l##_bwd_mut), 2); } \
    static int FN(l##_1e3)(gc_func *f, gc_pcg32 *r) { return FN(l##_spec)(f, r, FN(l##_bwd_1e3), 2); }
GLUE_CASES_(ln) GLUE_CASES_(mm) GLUE_CASES_(at) GLUE_CASES_(ge) GLUE_CASES_(re) GLUE_CASES_(en) GLUE_CASES_(ce)
#undef GLUE_CASES_

static const layer_case FN(layer_cases)[] = {
    {"layernorm", FN(ln_ok), FN(ln_mut), FN(ln_1e3), 4}, {"matmul", FN(mm_ok), FN(mm_mut), FN(mm_1e3), 1},
    {"attention", FN(at_ok), FN(at_mut), FN(at_1e3), 3}, {"gelu", FN(ge_ok), FN(ge_mut), FN(ge_1e3), 1},
    {"residual", FN(re_ok), FN(re_mut), FN(re_1e3), 2}, {"encoder", FN(en_ok), FN(en_mut), FN(en_1e3), 3},
    {"crossentropy", FN(ce_ok), FN(ce_mut), FN(ce_1e3), 2},
};
