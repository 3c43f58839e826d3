/* clang-format off: glue written compactly, one callback per two lines */
/*
 * block_glue.h -- the glue between examples/block.c's layers and
 * gc_check_func: per layer a forward and a backward callback and a factory
 * declaring its tensors (<= 15 lines each layer).  check_block.c includes
 * it twice, with DT GC_DTYPE_F32 and FN(name) name (the float code) and
 * with GC_DTYPE_F64 and name##_f64 (the double twins).  The factories take
 * the backward to check and the smallest B and T to draw, so a planted
 * bug reuses the same declarations.
 */

static void FN(ln_fwd)(gc_func_call *c) { const shape *s = c->ctx;
    FN(layernorm_forward)(c->v[0], c->v[1], c->v[2], c->v[3], c->v[4], c->v[5], s->B, s->T, s->C); }
static void FN(ln_bwd)(gc_func_call *c) { const shape *s = c->ctx;
    FN(layernorm_backward)(c->d[3], c->d[4], c->d[5], c->d[0], c->v[3], c->v[4], c->v[1], c->v[2],
                           s->B, s->T, s->C); }
static int FN(ln_spec)(gc_func *f, gc_pcg32 *rng, gc_func_fn bwd, int lo) {
    shape *s = shape_new(f, rng, FN(ln_fwd), bwd, lo);
    if (s == NULL) return GC_ENOMEM;
    gc_func_add(f, "out", GC_ROLE_OUTPUT, DT, 3, s->B, s->T, s->C, 0);
    gc_func_add(f, "mean", GC_ROLE_CACHE, DT, 2, s->B, s->T, 0, 0);
    gc_func_add(f, "rstd", GC_ROLE_CACHE, DT, 2, s->B, s->T, 0, 0);
    gc_func_add(f, "inp", GC_ROLE_INPUT, DT, 3, s->B, s->T, s->C, 0);
    gc_func_add(f, "w", GC_ROLE_PARAM, DT, 1, s->C, 0, 0, 0);
    return gc_func_add(f, "b", GC_ROLE_PARAM, DT, 1, s->C, 0, 0, 0) < 0 ? GC_EINVAL : GC_OK; }

static void FN(mm_fwd)(gc_func_call *c) { const shape *s = c->ctx;
    FN(matmul_forward)(c->v[0], c->v[1], c->v[2], c->v[3], s->B, s->T, s->C, s->OC); }
static void FN(mm_bwd)(gc_func_call *c) { const shape *s = c->ctx;
    FN(matmul_backward)(c->d[1], c->d[2], c->d[3], c->d[0], c->v[1], c->v[2], s->B, s->T, s->C, s->OC); }
static int FN(mm_spec)(gc_func *f, gc_pcg32 *rng, gc_func_fn bwd, int lo) {
    shape *s = shape_new(f, rng, FN(mm_fwd), bwd, lo);
    if (s == NULL) return GC_ENOMEM;
    gc_func_add(f, "out", GC_ROLE_OUTPUT, DT, 3, s->B, s->T, s->OC, 0);
    gc_func_add(f, "inp", GC_ROLE_INPUT, DT, 3, s->B, s->T, s->C, 0);
    gc_func_add(f, "w", GC_ROLE_PARAM, DT, 2, s->OC, s->C, 0, 0);
    return gc_func_add(f, "b", GC_ROLE_PARAM, DT, 1, s->OC, 0, 0, 0) < 0 ? GC_EINVAL : GC_OK; }

static void FN(at_fwd)(gc_func_call *c) { const shape *s = c->ctx;
    FN(attention_forward)(c->v[0], c->v[1], c->v[2], c->v[3], s->B, s->T, s->C, s->NH); }
static void FN(at_bwd)(gc_func_call *c) { const shape *s = c->ctx;
    FN(attention_backward)(c->d[3], c->v[4], c->v[5], c->d[0], c->v[3], c->v[2], s->B, s->T, s->C, s->NH); }
static int FN(at_spec)(gc_func *f, gc_pcg32 *rng, gc_func_fn bwd, int lo) {
    shape *s = shape_new(f, rng, FN(at_fwd), bwd, lo);
    if (s == NULL) return GC_ENOMEM;
    gc_func_add(f, "out", GC_ROLE_OUTPUT, DT, 3, s->B, s->T, s->C, 0);
    gc_func_add(f, "preatt", GC_ROLE_CACHE, DT, 4, s->B, s->NH, s->T, s->T);
    gc_func_add(f, "att", GC_ROLE_CACHE, DT, 4, s->B, s->NH, s->T, s->T);
    gc_func_add(f, "inp", GC_ROLE_INPUT, DT, 3, s->B, s->T, 3 * s->C, 0);
    gc_func_add(f, "dpreatt", GC_ROLE_CACHE, DT, 4, s->B, s->NH, s->T, s->T);
    return gc_func_add(f, "datt", GC_ROLE_CACHE, DT, 4, s->B, s->NH, s->T, s->T) < 0 ? GC_EINVAL : GC_OK; }

static void FN(ge_fwd)(gc_func_call *c) { const shape *s = c->ctx;
    FN(gelu_forward)(c->v[0], c->v[1], s->B * s->T * s->C); }
static void FN(ge_bwd)(gc_func_call *c) { const shape *s = c->ctx;
    FN(gelu_backward)(c->d[1], c->v[1], c->d[0], s->B * s->T * s->C); }
static int FN(ge_spec)(gc_func *f, gc_pcg32 *rng, gc_func_fn bwd, int lo) {
    shape *s = shape_new(f, rng, FN(ge_fwd), bwd, lo);
    if (s == NULL) return GC_ENOMEM;
    gc_func_add(f, "out", GC_ROLE_OUTPUT, DT, 3, s->B, s->T, s->C, 0);
    int i = gc_func_add(f, "inp", GC_ROLE_INPUT, DT, 3, s->B, s->T, s->C, 0);
    return gc_func_set_scale(f, i, 3.0); } /* GELU's curved part lies within |x| < 3 */

static void FN(re_fwd)(gc_func_call *c) { const shape *s = c->ctx;
    FN(residual_forward)(c->v[0], c->v[1], c->v[2], s->B * s->T * s->C); }
static void FN(re_bwd)(gc_func_call *c) { const shape *s = c->ctx;
    FN(residual_backward)(c->d[1], c->d[2], c->d[0], s->B * s->T * s->C); }
static int FN(re_spec)(gc_func *f, gc_pcg32 *rng, gc_func_fn bwd, int lo) {
    shape *s = shape_new(f, rng, FN(re_fwd), bwd, lo);
    if (s == NULL) return GC_ENOMEM;
    gc_func_add(f, "out", GC_ROLE_OUTPUT, DT, 3, s->B, s->T, s->C, 0);
    gc_func_add(f, "inp1", GC_ROLE_INPUT, DT, 3, s->B, s->T, s->C, 0);
    return gc_func_add(f, "inp2", GC_ROLE_INPUT, DT, 3, s->B, s->T, s->C, 0) < 0 ? GC_EINVAL : GC_OK; }

static void FN(en_fwd)(gc_func_call *c) { const shape *s = c->ctx;
    FN(encoder_forward)(c->v[0], c->v[1], c->v[2], c->v[3], s->B, s->T, s->C); }
static void FN(en_bwd)(gc_func_call *c) { const shape *s = c->ctx;
    FN(encoder_backward)(c->d[2], c->d[3], c->d[0], c->v[1], s->B, s->T, s->C); }
static int FN(en_spec)(gc_func *f, gc_pcg32 *rng, gc_func_fn bwd, int lo) {
    shape *s = shape_new(f, rng, FN(en_fwd), bwd, lo);
    if (s == NULL) return GC_ENOMEM;
    gc_func_add(f, "out", GC_ROLE_OUTPUT, DT, 3, s->B, s->T, s->C, 0);
    gc_func_set_high(f, gc_func_add(f, "ids", GC_ROLE_CONST, GC_DTYPE_I32, 2, s->B, s->T, 0, 0), s->V);
    gc_func_add(f, "wte", GC_ROLE_PARAM, DT, 2, s->V, s->C, 0, 0);
    return gc_func_add(f, "wpe", GC_ROLE_PARAM, DT, 2, s->maxT, s->C, 0, 0) < 0 ? GC_EINVAL : GC_OK; }

static void FN(ce_fwd)(gc_func_call *c) { const shape *s = c->ctx;
    FN(crossentropy_forward)(c->v[0], c->v[1], c->v[2], c->v[3], s->B, s->T, s->V); }
static void FN(ce_bwd)(gc_func_call *c) { const shape *s = c->ctx;
    FN(crossentropy_backward)(c->d[2], c->d[0], c->v[1], c->v[3], s->B, s->T, s->V); }
static int FN(ce_spec)(gc_func *f, gc_pcg32 *rng, gc_func_fn bwd, int lo) {
    shape *s = shape_new(f, rng, FN(ce_fwd), bwd, lo);
    if (s == NULL) return GC_ENOMEM;
    gc_func_add(f, "losses", GC_ROLE_OUTPUT, DT, 2, s->B, s->T, 0, 0);
    gc_func_add(f, "probs", GC_ROLE_CACHE, DT, 3, s->B, s->T, s->V, 0);
    gc_func_set_scale(f, gc_func_add(f, "logits", GC_ROLE_INPUT, DT, 3, s->B, s->T, s->V, 0), 3.0);
    return gc_func_set_high(f, gc_func_add(f, "targets", GC_ROLE_CONST, GC_DTYPE_I32, 2, s->B, s->T, 0, 0), s->V); }
