/*
 * explain.c -- --explain: the classic notes' walkthrough with this
 * network's numbers.
 *
 * In the notes' order and names: the parameters and data, the forward pass
 * layer by layer (z1 = W1 x + b1, a1 = σ(z1), z2 = W2 a1 + b2, a2 = σ(z2),
 * the loss), the cache bprop reads, the backward pass (dz2 = a2 − y for a
 * sigmoid output under bce, else dL/da2 ⊙ f′(z2); dW2 = dz2 a1ᵀ, db2,
 * da1 = W2ᵀ dz2, dz1 = da1 ⊙ σ′(z1), dW1, db1), then one element's finite
 * difference worked through.  Every number is read from the network the
 * check left behind (its unperturbed cache and backprop's gradients), from
 * the report, or from gc_element_step: nothing here computes.  A dense layer
 * k's output is named z<k> and the activation after it a<k>; any other
 * layer's output h<i>, its index in the cache.
 */
#include "cli.h"

#include <string.h>

/* Matrices with more elements than this are summarised (shape, norm). */
#define SHOW_MAX 16

static void print_mat(FILE *f, const char *indent, int rows, int cols, const double *v)
{
    if (rows * cols > SHOW_MAX) {
        gc_mat view = {rows, cols, (double *)v};
        fprintf(f, "%s(%dx%d, too many to list: ||.|| = %.10g)\n", indent, rows, cols,
                gc_mat_norm(&view));
        return;
    }
    fprintf(f, "%s[", indent);
    for (int i = 0; i < rows; i++) {
        fprintf(f, "%s[", i ? ", " : "");
        for (int j = 0; j < cols; j++)
            fprintf(f, "%s%.10g", j ? ", " : "", v[(size_t)i * (size_t)cols + (size_t)j]);
        fprintf(f, "]");
    }
    fprintf(f, "]   (%dx%d)\n", rows, cols);
}

static void show(FILE *f, const char *lhs, const gc_mat *m)
{
    fprintf(f, "  %s\n", lhs);
    print_mat(f, "      = ", m->rows, m->cols, m->data);
}

/* The names of the cache: names[i] for act[i] (see the file comment). */
typedef struct names {
    char n[GC_ARCH_MAX_LAYERS * 2 + 8][24];
} names;

static int is_affine(const gc_layer *l) { return (l->ops->caps & GC_CAP_AFFINE) != 0; }

static void name_cache(const gc_net *net, names *nm)
{
    int d = 0;
    snprintf(nm->n[0], sizeof nm->n[0], "x");
    for (int k = 0; k < net->nlayers; k++) {
        const gc_layer *l = net->layers[k];
        if (is_affine(l))
            snprintf(nm->n[k + 1], sizeof nm->n[0], "z%d", ++d);
        else if (k > 0 && is_affine(net->layers[k - 1]))
            snprintf(nm->n[k + 1], sizeof nm->n[0], "a%d", d);
        else
            snprintf(nm->n[k + 1], sizeof nm->n[0], "h%d", k + 1);
    }
}

/* "σ" for sigmoid, else the layer's type name. */
static const char *fname(const gc_layer *l)
{
    return strcmp(l->ops->type, "sigmoid") == 0 ? "σ" : l->ops->type;
}

/* f′(in) as a symbol and, for the built-ins with a short form, in terms of
 * the cache ("" otherwise). */
static void fprime(char *sym, char *form, size_t size, const gc_layer *l, const char *in,
                   const char *out)
{
    const char *t = l->ops->type;
    snprintf(sym, size, "%s′(%s)", fname(l), in);
    form[0] = '\0';
    if (strcmp(t, "sigmoid") == 0)
        snprintf(form, size, "%s (1 − %s)", out, out);
    else if (strcmp(t, "tanh") == 0)
        snprintf(form, size, "1 − %s²", out);
    else if (strcmp(t, "relu") == 0)
        snprintf(form, size, "1 where %s > 0, else 0", in);
    else if (strcmp(t, "identity") == 0)
        snprintf(form, size, "1");
}

static int fused_sigmoid_bce(const gc_net *net)
{
    const gc_layer *last = net->layers[net->nlayers - 1];
    return last->ops == gc_act_ops(GC_ACT_SIGMOID) && net->loss == &gc_loss_bce;
}

static void params_and_data(FILE *f, const gc_net *net)
{
    fprintf(f, "Parameters and data\n");
    for (int t = 0; t < net->ntensors; t++) {
        const gc_tensor *p = net->tensors[t];
        fprintf(f, "  %s\n", p->name);
        print_mat(f, "      = ", p->rows, p->cols, p->value);
    }
    show(f, "x  (input, one column per example)", net->act[0]);
    show(f, "y  (targets)", net->T);
    fprintf(f, "\n");
}

static void loss_formula(char *buf, size_t size, const gc_net *net, const char *out)
{
    const char *name = net->loss->name;
    int n = net->T->rows * net->T->cols;
    if (strcmp(name, "bce") == 0)
        snprintf(buf, size, "L = −(y log %s + (1 − y) log(1 − %s))%s", out, out,
                 n > 1 ? ", the mean over its elements" : "");
    else if (strcmp(name, "bce_logits") == 0)
        snprintf(buf, size, "L = −(y log σ(%s) + (1 − y) log(1 − σ(%s))), on logits, "
                 "the mean over its elements", out, out);
    else if (strcmp(name, "mse") == 0)
        snprintf(buf, size, "L = (%s − y)², the mean over its elements", out);
    else if (strcmp(name, "softmax_ce") == 0)
        snprintf(buf, size, "L = −Σ y log softmax(%s), summed over units, the mean over "
                 "examples", out);
    else
        snprintf(buf, size, "L = %s(%s, y)", name, out);
}

static void forward_pass(FILE *f, const gc_net *net, const names *nm)
{
    fprintf(f, "Forward pass (the notes' fprop), layer by layer\n");
    for (int k = 0; k < net->nlayers; k++) {
        const gc_layer *l = net->layers[k];
        char lhs[160];
        if (is_affine(l))
            snprintf(lhs, sizeof lhs, "%s = %s %s + %s", nm->n[k + 1], l->param[0].name,
                     nm->n[k], l->param[1].name);
        else
            snprintf(lhs, sizeof lhs, "%s = %s(%s)", nm->n[k + 1], fname(l), nm->n[k]);
        show(f, lhs, net->act[k + 1]);
    }
    char lf[200];
    loss_formula(lf, sizeof lf, net, nm->n[net->nlayers]);
    fprintf(f, "  %s\n      = %.10g\n\n", lf, net->loss_value);
    fprintf(f, "The cache: fprop keeps");
    for (int i = 0; i <= net->nlayers; i++)
        fprintf(f, " %s,", nm->n[i]);
    fprintf(f, " y and the loss; bprop reads only these and the parameters.\n\n");
}

/* The gradient of the output, from the loss (or fused with the last
 * activation); returns the index of the first layer still to walk. */
static int output_gradient(FILE *f, const gc_net *net, const names *nm)
{
    int n = net->nlayers;
    char lhs[200];
    if (fused_sigmoid_bce(net)) {
        int N = net->T->rows * net->T->cols;
        if (N > 1)
            snprintf(lhs, sizeof lhs, "d%s = (%s − y) / %d   (sigmoid + bce: σ′ cancels bce's "
                     "1/(%s(1 − %s)); %d = the elements averaged)", nm->n[n - 1], nm->n[n], N,
                     nm->n[n], nm->n[n], N);
        else
            snprintf(lhs, sizeof lhs, "d%s = %s − y   (sigmoid + bce: σ′(%s) = %s(1 − %s) "
                     "cancels bce's 1/(%s(1 − %s)))", nm->n[n - 1], nm->n[n], nm->n[n - 1],
                     nm->n[n], nm->n[n], nm->n[n], nm->n[n]);
        show(f, lhs, net->dact[n - 1]);
        return n - 2;
    }
    snprintf(lhs, sizeof lhs, "d%s = dL/d%s   (from the loss %s)", nm->n[n], nm->n[n],
             net->loss->name);
    show(f, lhs, net->dact[n]);
    return n - 1;
}

static void backward_layer(FILE *f, const gc_net *net, const names *nm, int k)
{
    const gc_layer *l = net->layers[k];
    const char *in = nm->n[k], *out = nm->n[k + 1];
    char lhs[320], fp[96];
    if (is_affine(l)) {
        snprintf(lhs, sizeof lhs, "d%s = d%s %sᵀ", l->param[0].name, out, in);
        fprintf(f, "  %s\n", lhs);
        print_mat(f, "      = ", l->param[0].rows, l->param[0].cols, l->param[0].grad);
        snprintf(lhs, sizeof lhs, "d%s = d%s%s", l->param[1].name, out,
                 net->batch > 1 ? ", summed over the examples" : "");
        fprintf(f, "  %s\n", lhs);
        print_mat(f, "      = ", l->param[1].rows, l->param[1].cols, l->param[1].grad);
        snprintf(lhs, sizeof lhs, "d%s = %sᵀ d%s%s", in, l->param[0].name, out,
                 k == 0 ? "   (the input's gradient: checked with --inputs)" : "");
        show(f, lhs, net->dact[k]);
        return;
    }
    if (l->ops->caps & GC_CAP_ELEMENTWISE) {
        char form[96], chain[160] = "";
        fprime(fp, form, sizeof fp, l, in, out);
        /* the notes write it through the dense layer above: W2ᵀ dz2 ⊙ σ′(z1) */
        if (k + 1 < net->nlayers && is_affine(net->layers[k + 1]))
            snprintf(chain, sizeof chain, " = %sᵀ d%s ⊙ %s", net->layers[k + 1]->param[0].name,
                     nm->n[k + 2], fp);
        snprintf(lhs, sizeof lhs, "d%s = d%s ⊙ %s%s%s%s", in, out, fp, chain,
                 form[0] ? ",  " : "", form[0] ? fp : "");
        if (form[0])
            snprintf(lhs + strlen(lhs), sizeof lhs - strlen(lhs), " = %s", form);
    } else {
        snprintf(lhs, sizeof lhs, "d%s = the %s layer's backward of d%s", in, l->ops->type, out);
    }
    show(f, lhs, net->dact[k]);
}

static void backward_pass(FILE *f, const gc_net *net, const names *nm)
{
    fprintf(f, "Backward pass (the notes' bprop), from the loss back, by the chain rule\n");
    for (int k = output_gradient(f, net, nm); k >= 0; k--)
        backward_layer(f, net, nm, k);
    fprintf(f, "\n");
}

static void verdict_why(FILE *f, const gc_report *r, const gc_row *w)
{
    (void)r;
    switch (w->verdict) {
    case GC_PASS:
        fprintf(f, "  verdict: pass (confirmed), because |a − n| = %.3e <= band %.3e and the\n"
                "  difference's own error bound B = %.3e <= band: it agrees with backprop far\n"
                "  closer than a wrong term (~1e-2 relative or worse) would\n", w->abs_err,
                w->band, w->num_err);
        break;
    case GC_KINK:
        fprintf(f, "  verdict: kink: the loss is not differentiable within [θ − ε, θ + ε] "
                "(one-sided slopes %.10g and %.10g%s), and the analytic value lies between "
                "them, a valid one-sided answer\n", w->slope_lo, w->slope_hi,
                w->hook ? "; a layer's kink hook fired" : "");
        break;
    case GC_UNDECIDED:
        fprintf(f, "  verdict: undecided (%s): the difference can neither confirm nor refute\n"
                "  backprop here (band %.3e, error bound B = %.3e)\n", gc_reason_text(w->reason),
                w->band, w->num_err);
        break;
    default:
        fprintf(f, "  verdict: %s (refuted): |a − n| = %.3e > band %.3e + error bound B %.3e:\n"
                "  the finite difference refutes backprop here\n", gc_verdict_name(w->verdict),
                w->abs_err, w->band, w->num_err);
        break;
    }
}

static int worked_element(FILE *f, gc_net *net, const gc_report *r, char *msg, size_t size)
{
    if (r->nrows == 0)
        return 0;
    size_t worst = 0;
    gc_report_worst(r, &worst, 1);
    const gc_row *w = &r->rows[worst];
    gc_element e;
    snprintf(e.tensor, sizeof e.tensor, "%s", r->tensors[w->tensor].name);
    e.row = w->row;
    e.col = w->col;
    gc_element_fd st;
    gc_error err = {0};
    if (gc_element_step(net, &e, r->opts.eps, &st, &err) != GC_OK) {
        snprintf(msg, size, "--explain: %s", err.msg);
        return -1;
    }
    fprintf(f, "One element worked through: %s[%d,%d], the table's worst (%s differences)\n",
            e.tensor, e.row, e.col, gc_method_name(r->opts.method));
    fprintf(f, "  θ = %s[%d,%d] = %.17g,  ε = %g\n", e.tensor, e.row, e.col, st.theta, st.eps);
    fprintf(f, "  θ + ε = %.17g   L(θ + ε) = %.17g\n", st.theta_plus, st.loss_plus);
    fprintf(f, "  θ − ε = %.17g   L(θ − ε) = %.17g\n", st.theta_minus, st.loss_minus);
    fprintf(f, "  L(θ)  = %.17g\n", st.loss);
    switch (r->opts.method) {
    case GC_METHOD_FORWARD:
        fprintf(f, "  numeric = (L(θ + ε) − L(θ)) / ((θ + ε) − θ) = %.17g\n", st.forward);
        break;
    case GC_METHOD_RICHARDSON:
        fprintf(f, "  central at ε = (L(θ + ε) − L(θ − ε)) / ((θ + ε) − (θ − ε))\n"
                "          = %.17g\n"
                "  numeric = central at ε, ε/2, ε/4, ε/8, Richardson-extrapolated = %.17g\n",
                st.central, st.richardson);
        break;
    default:
        fprintf(f, "  numeric = (L(θ + ε) − L(θ − ε)) / ((θ + ε) − (θ − ε))\n"
                "          = %.17g / %.17g\n          = %.17g\n", st.dloss, st.step,
                st.central);
        break;
    }
    fprintf(f, "  analytic (backprop)         = %.17g\n", st.analytic);
    fprintf(f, "  the table's row: numeric    = %.17g\n", w->numeric);
    fprintf(f, "  abs_err = |a − n|           = %.3e\n", w->abs_err);
    fprintf(f, "  rel_err = |a − n| / max(|a|, |n|) = %.3e\n", w->rel_err);
    verdict_why(f, r, w);
    fprintf(f, "  Why ε = %g: a central difference errs by truncation ε²|L‴|/6 and by "
            "roundoff ~u|L|/ε (u = 2^-53);\n  at 1e-6 both are far below rtol.  See the "
            "whole curve with --sweep.\n\n", r->opts.eps);
    return 0;
}

int cli_explain(FILE *f, gc_net *net, const gc_report *r, char *msg, size_t size)
{
    if (net->nlayers + 1 > (int)(sizeof(names) / sizeof(((names *)0)->n[0]))) {
        snprintf(msg, size, "--explain: the network has too many layers to name");
        return -1;
    }
    names nm;
    name_cache(net, &nm);
    fprintf(f, "gradcheck --explain: the classic notes' steps with this network's numbers, all\n"
               "computed by libgradcheck in this run.\n\n");
    params_and_data(f, net);
    forward_pass(f, net, &nm);
    backward_pass(f, net, &nm);
    if (worked_element(f, net, r, msg, size) != 0)
        return -1;
    fprintf(f, "The check of every element\n");
    return ferror(f) ? (snprintf(msg, size, "--explain: writing failed"), -1) : 0;
}
