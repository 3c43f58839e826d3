/*
 * rounding_bound.h -- the first-order bound on one loss evaluation's
 * rounding that the evaluator suites (check_fast.c, check_parallel.c)
 * compare the two evaluators with.
 */
#ifndef GRADCHECK_ROUNDING_BOUND_H
#define GRADCHECK_ROUNDING_BOUND_H

#include <float.h>
#include <gradcheck.h>
#include <math.h>

/*
 * A first-order bound e on the rounding error of one loss evaluation (either
 * engine), from the cache and the gradients at θ (see lib/engine/fast.c):
 *   every output Z[i][c] of a dense layer is a dot product of length in plus
 *   the bias: |fl(Z) - Z| <= γ_m (|b_i| + Σ_j |W_ij||A_jc|)  (Higham, 3.5);
 *   every other layer's output is within γ_m |Y| (libm's exp/log/erf/tanh
 *   are within a few ulps; softmax sums `rows` exps, m >= rows + 4);
 *   an error in an output moves L by |dL/dY| times it (first order);
 *   the loss itself sums N terms into a mean, each term within a few ulps of
 *   the magnitude of its inputs: γ_m (|L| + 2 max|P| + max|T|) (log-sum-exp
 *   cancels z - lse, whose error is relative to |z| + |lse|).
 * m = max fan-in + 4; the fast engine's update adds two roundings per
 * entry (cached value plus delta), which the +4 covers.
 */
static inline double tu_loss_rounding_bound(gc_net *net)
{
    gc_net_forward(net);
    gc_net_backward(net);
    int m = 4;
    for (int k = 0; k < net->nlayers; k++) {
        int in = net->layers[k]->in + 4;
        int out = net->layers[k]->out + 4;
        m = in > m ? in : m;
        m = out > m ? out : m;
    }
    int nt = (int)gc_mat_size(net->T) + 4;
    m = nt > m ? nt : m;
    double u = DBL_EPSILON / 2, gamma = m * u / (1 - m * u);
    double S = 0.0;
    for (int k = 0; k < net->nlayers; k++) {
        const gc_layer *l = net->layers[k];
        const gc_mat *A = net->act[k], *Y = net->act[k + 1], *dY = net->dact[k + 1];
        for (int i = 0; i < Y->rows; i++)
            for (int c = 0; c < Y->cols; c++) {
                double M;
                if (l->ops->caps & GC_CAP_AFFINE) {
                    M = fabs(l->param[1].value[i]);
                    for (int j = 0; j < l->in; j++)
                        M += fabs(l->param[0].value[(size_t)i * l->in + j]) * fabs(GC_AT(A, j, c));
                } else {
                    M = fabs(GC_AT(Y, i, c));
                }
                S += fabs(GC_AT(dY, i, c)) * M;
            }
    }
    const gc_mat *P = net->act[net->nlayers];
    double pmax = 0.0, tmax = 0.0;
    for (size_t i = 0; i < gc_mat_size(P); i++) {
        pmax = fmax(pmax, fabs(P->data[i]));
        tmax = fmax(tmax, fabs(net->T->data[i]));
    }
    return gamma * (S + fabs(net->loss_value) + 2 * pmax + tmax);
}

#endif
