/*
 * block_mutants_impl.h -- planted bugs: each function is a backward of
 * block_impl.h with ONE plausible mistake (named after it), which the
 * function check must refute.  Compiled by block_mutants.c for float and
 * double, as block_impl.h.
 */

/* Missing term: dx = ρ (g - mean(g)) forgets the x̂ mean(g .* x̂) term of
 * the variance's dependence on x. */
void FN(layernorm_backward_no_var_term)(REAL *dinp, REAL *dw, REAL *db, const REAL *dout,
                                        const REAL *inp, const REAL *w, const REAL *mean,
                                        const REAL *rstd, int B, int T, int C)
{
    for (int bt = 0; bt < B * T; bt++) {
        const REAL *x = inp + (size_t)bt * C, *dy = dout + (size_t)bt * C;
        REAL *dx = dinp + (size_t)bt * C;
        REAL mu = mean[bt], rho = rstd[bt], gm = 0;
        for (int i = 0; i < C; i++) {
            REAL xh = (x[i] - mu) * rho;
            gm += dy[i] * w[i];
            db[i] += dy[i];
            dw[i] += dy[i] * xh;
        }
        gm /= C;
        for (int i = 0; i < C; i++)
            dx[i] += rho * (dy[i] * w[i] - gm);
    }
}

/* Forgotten +=: dw = instead of dw +=, so only the last position counts. */
void FN(matmul_backward_dw_assign)(REAL *dinp, REAL *dw, REAL *db, const REAL *dout,
                                   const REAL *inp, const REAL *w, int B, int T, int C, int OC)
{
    for (int bt = 0; bt < B * T; bt++) {
        const REAL *x = inp + (size_t)bt * C, *dy = dout + (size_t)bt * OC;
        REAL *dx = dinp + (size_t)bt * C;
        for (int o = 0; o < OC; o++) {
            for (int i = 0; i < C; i++) {
                dx[i] += dy[o] * w[(size_t)o * C + i];
                dw[(size_t)o * C + i] = dy[o] * x[i];
            }
            if (db != NULL)
                db[o] += dy[o];
        }
    }
}

/* Wrong index: dv of key position t2 reads the weight att[t] of the query's
 * own position instead of att[t2]. */
void FN(attention_backward_dv_index)(REAL *dinp, REAL *dpre, REAL *datt, const REAL *dout,
                                     const REAL *inp, const REAL *att, int B, int T, int C, int NH)
{
    int hs = C / NH;
    REAL scale = 1 / sqrt((REAL)hs);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            for (int t = 0; t < T; t++) {
                size_t row = (((size_t)b * NH + h) * T + t) * T, qo = ((size_t)b * T + t) * 3 * C;
                const REAL *a = att + row, *dy = dout + ((size_t)b * T + t) * C + h * hs;
                REAL *da = datt + row, *dp = dpre + row, dot = 0;
                for (int t2 = 0; t2 <= t; t2++) {
                    size_t vo = ((size_t)b * T + t2) * 3 * C + 2 * C + h * hs;
                    da[t2] = 0;
                    for (int i = 0; i < hs; i++) {
                        da[t2] += inp[vo + i] * dy[i];
                        dinp[vo + i] += a[t] * dy[i];
                    }
                    dot += a[t2] * da[t2];
                }
                for (int t2 = 0; t2 <= t; t2++) {
                    size_t ko = ((size_t)b * T + t2) * 3 * C + C + h * hs;
                    dp[t2] = a[t2] * (da[t2] - dot);
                    for (int i = 0; i < hs; i++) {
                        dinp[qo + h * hs + i] += dp[t2] * inp[ko + i] * scale;
                        dinp[ko + i] += dp[t2] * inp[qo + h * hs + i] * scale;
                    }
                }
            }
}

#define GELU_K ((REAL)0.7978845608028654)
#define GELU_A ((REAL)0.044715)

/* Missing term: the 3 A x² of u' = K (1 + 3 A x²) is dropped. */
void FN(gelu_backward_no_cubic)(REAL *dinp, const REAL *inp, const REAL *dout, int N)
{
    for (int i = 0; i < N; i++) {
        REAL x = inp[i], th = tanh(GELU_K * (x + GELU_A * x * x * x));
        REAL d = (REAL)0.5 * (1 + th) + (REAL)0.5 * x * (1 - th * th) * GELU_K;
        dinp[i] += d * dout[i];
    }
}

#undef GELU_K
#undef GELU_A

/* Wrong index: the second input's gradient is read one element off. */
void FN(residual_backward_shifted)(REAL *dinp1, REAL *dinp2, const REAL *dout, int N)
{
    for (int i = 0; i < N; i++) {
        dinp1[i] += dout[i];
        dinp2[i] += dout[(i + 1) % N];
    }
}

/* Forgotten +=: dwpe = instead of +=, so a position keeps only the last
 * batch entry's gradient (refuted when B >= 2). */
void FN(encoder_backward_dwpe_assign)(REAL *dwte, REAL *dwpe, const REAL *dout, const int *ids,
                                      int B, int T, int C)
{
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            const REAL *dy = dout + ((size_t)b * T + t) * C;
            REAL *de = dwte + (size_t)ids[b * T + t] * C, *dp = dwpe + (size_t)t * C;
            for (int i = 0; i < C; i++) {
                de[i] += dy[i];
                dp[i] = dy[i];
            }
        }
}

/* Wrong index: the loss gradient of position (b, t) is read at (b, 0), the
 * "+ t" forgotten; refuted when T >= 2. */
void FN(crossentropy_backward_dloss_index)(REAL *dlogits, const REAL *dlosses, const REAL *probs,
                                           const int *targets, int B, int T, int V)
{
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            size_t bt = (size_t)b * T + t;
            const REAL *p = probs + bt * V;
            REAL *dz = dlogits + bt * V;
            for (int j = 0; j < V; j++)
                dz[j] += (p[j] - (j == targets[bt] ? 1 : 0)) * dlosses[(size_t)b * T];
        }
}
