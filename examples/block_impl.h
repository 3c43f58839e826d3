/*
 * block_impl.h -- the body of examples/block.c, written once for an element
 * type REAL and a name suffix FN(name); block.c includes it for float
 * (layernorm_forward, ...) and for double (layernorm_forward_f64, ...), so
 * the double twin checked at float64 precision is the same source as the
 * float code.  Not a header to include anywhere else.
 *
 * Layout as in C training code: activations are (B, T, C) row-major float
 * arrays, outputs come first, inputs are const, and every backward ADDS
 * into its gradient buffers (+=), so that a tensor read by two layers
 * collects both contributions.  <tgmath.h> picks expf/tanhf/sqrtf for float.
 */

/* ---- layernorm --------------------------------------------------------- */

/* out, inp (B,T,C); mean, rstd (B,T) cached for the backward; w, b (C).
 * Per position: x̂ = (x - μ) ρ with ρ = 1/sqrt(σ² + 1e-5), out = x̂ w + b. */
void FN(layernorm_forward)(REAL *out, REAL *mean, REAL *rstd, const REAL *inp, const REAL *w,
                           const REAL *b, int B, int T, int C)
{
    for (int bt = 0; bt < B * T; bt++) {
        const REAL *x = inp + (size_t)bt * C;
        REAL mu = 0, var = 0;
        for (int i = 0; i < C; i++)
            mu += x[i];
        mu /= C;
        for (int i = 0; i < C; i++)
            var += (x[i] - mu) * (x[i] - mu);
        var /= C;
        REAL rho = 1 / sqrt(var + (REAL)1e-5);
        REAL *o = out + (size_t)bt * C;
        for (int i = 0; i < C; i++)
            o[i] = (x[i] - mu) * rho * w[i] + b[i];
        mean[bt] = mu;
        rstd[bt] = rho;
    }
}

/* With g = dout .* w:  dx = ρ (g - mean(g) - x̂ mean(g .* x̂)),
 * dw += Σ_bt dout .* x̂,  db += Σ_bt dout. */
void FN(layernorm_backward)(REAL *dinp, REAL *dw, REAL *db, const REAL *dout, const REAL *inp,
                            const REAL *w, const REAL *mean, const REAL *rstd, int B, int T, int C)
{
    for (int bt = 0; bt < B * T; bt++) {
        const REAL *x = inp + (size_t)bt * C, *dy = dout + (size_t)bt * C;
        REAL *dx = dinp + (size_t)bt * C;
        REAL mu = mean[bt], rho = rstd[bt], gm = 0, gx = 0;
        for (int i = 0; i < C; i++) {
            REAL xh = (x[i] - mu) * rho, g = dy[i] * w[i];
            gm += g;
            gx += g * xh;
            db[i] += dy[i];
            dw[i] += dy[i] * xh;
        }
        gm /= C;
        gx /= C;
        for (int i = 0; i < C; i++) {
            REAL xh = (x[i] - mu) * rho;
            dx[i] += rho * (dy[i] * w[i] - gm - xh * gx);
        }
    }
}

/* ---- matmul with bias -------------------------------------------------- */

/* out (B,T,OC) = inp (B,T,C) w^T + b, w (OC,C), b (OC) or NULL. */
void FN(matmul_forward)(REAL *out, const REAL *inp, const REAL *w, const REAL *b, int B, int T,
                        int C, int OC)
{
    for (int bt = 0; bt < B * T; bt++) {
        const REAL *x = inp + (size_t)bt * C;
        for (int o = 0; o < OC; o++) {
            const REAL *wo = w + (size_t)o * C;
            REAL s = b != NULL ? b[o] : 0;
            for (int i = 0; i < C; i++)
                s += x[i] * wo[i];
            out[(size_t)bt * OC + o] = s;
        }
    }
}

/* dinp += dout w,  dw += dout^T inp,  db += Σ_bt dout (db may be NULL). */
void FN(matmul_backward)(REAL *dinp, REAL *dw, REAL *db, const REAL *dout, const REAL *inp,
                         const REAL *w, int B, int T, int C, int OC)
{
    for (int bt = 0; bt < B * T; bt++) {
        const REAL *x = inp + (size_t)bt * C, *dy = dout + (size_t)bt * OC;
        REAL *dx = dinp + (size_t)bt * C;
        for (int o = 0; o < OC; o++) {
            const REAL *wo = w + (size_t)o * C;
            REAL *dwo = dw + (size_t)o * C;
            for (int i = 0; i < C; i++) {
                dx[i] += dy[o] * wo[i];
                dwo[i] += dy[o] * x[i];
            }
            if (db != NULL)
                db[o] += dy[o];
        }
    }
}

/* ---- causal multi-head self-attention ---------------------------------- */

/* inp (B,T,3C) holds q, k, v side by side; out (B,T,C); NH heads of size
 * hs = C / NH.  pre, att (B,NH,T,T): the scaled scores q.k / sqrt(hs) and
 * their causal softmax (row t over t2 <= t; zero above the diagonal),
 * cached for the backward. */
void FN(attention_forward)(REAL *out, REAL *pre, REAL *att, const REAL *inp, int B, int T, int C,
                           int NH)
{
    int hs = C / NH;
    REAL scale = 1 / sqrt((REAL)hs);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            for (int t = 0; t < T; t++) {
                const REAL *q = inp + ((size_t)b * T + t) * 3 * C + h * hs;
                REAL *p = pre + (((size_t)b * NH + h) * T + t) * T;
                REAL *a = att + (((size_t)b * NH + h) * T + t) * T;
                REAL top = -INFINITY, sum = 0;
                for (int t2 = 0; t2 <= t; t2++) {
                    const REAL *k = inp + ((size_t)b * T + t2) * 3 * C + C + h * hs;
                    REAL s = 0;
                    for (int i = 0; i < hs; i++)
                        s += q[i] * k[i];
                    p[t2] = s * scale;
                    top = p[t2] > top ? p[t2] : top;
                }
                for (int t2 = 0; t2 < T; t2++) {
                    a[t2] = t2 <= t ? exp(p[t2] - top) : 0;
                    sum += a[t2];
                }
                REAL *o = out + ((size_t)b * T + t) * C + h * hs;
                for (int i = 0; i < hs; i++)
                    o[i] = 0;
                for (int t2 = 0; t2 <= t; t2++) {
                    a[t2] /= sum;
                    const REAL *v = inp + ((size_t)b * T + t2) * 3 * C + 2 * C + h * hs;
                    for (int i = 0; i < hs; i++)
                        o[i] += a[t2] * v[i];
                }
            }
}

/* datt = dout . v and dv += att dout; the softmax's Jacobian gives
 * dpre = att .* (datt - Σ att .* datt); then dq += dpre k scale and
 * dk += dpre q scale.  datt, dpre (B,NH,T,T) are scratch, overwritten. */
void FN(attention_backward)(REAL *dinp, REAL *dpre, REAL *datt, const REAL *dout, const REAL *inp,
                            const REAL *att, int B, int T, int C, int NH)
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
                        dinp[vo + i] += a[t2] * dy[i];
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

/* ---- GELU, tanh form --------------------------------------------------- */

#define GELU_K ((REAL)0.7978845608028654) /* sqrt(2 / pi) */
#define GELU_A ((REAL)0.044715)

/* out = x/2 (1 + tanh(u)), u = K (x + A x³), over N elements. */
void FN(gelu_forward)(REAL *out, const REAL *inp, int N)
{
    for (int i = 0; i < N; i++) {
        REAL x = inp[i];
        out[i] = (REAL)0.5 * x * (1 + tanh(GELU_K * (x + GELU_A * x * x * x)));
    }
}

/* d/dx = (1 + tanh u)/2 + x/2 (1 - tanh² u) K (1 + 3 A x²). */
void FN(gelu_backward)(REAL *dinp, const REAL *inp, const REAL *dout, int N)
{
    for (int i = 0; i < N; i++) {
        REAL x = inp[i], th = tanh(GELU_K * (x + GELU_A * x * x * x));
        REAL d = (REAL)0.5 * (1 + th) +
                 (REAL)0.5 * x * (1 - th * th) * GELU_K * (1 + 3 * GELU_A * x * x);
        dinp[i] += d * dout[i];
    }
}

/* ---- residual ---------------------------------------------------------- */

/* out = inp1 + inp2 over N elements; both inputs get dout. */
void FN(residual_forward)(REAL *out, const REAL *inp1, const REAL *inp2, int N)
{
    for (int i = 0; i < N; i++)
        out[i] = inp1[i] + inp2[i];
}

void FN(residual_backward)(REAL *dinp1, REAL *dinp2, const REAL *dout, int N)
{
    for (int i = 0; i < N; i++) {
        dinp1[i] += dout[i];
        dinp2[i] += dout[i];
    }
}

/* ---- token + position embedding ---------------------------------------- */

/* out (B,T,C) = wte[ids[b,t]] + wpe[t]; ids (B,T) in [0, V), wte (V,C),
 * wpe (maxT,C) with T <= maxT. */
void FN(encoder_forward)(REAL *out, const int *ids, const REAL *wte, const REAL *wpe, int B, int T,
                         int C)
{
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            const REAL *e = wte + (size_t)ids[b * T + t] * C, *p = wpe + (size_t)t * C;
            REAL *o = out + ((size_t)b * T + t) * C;
            for (int i = 0; i < C; i++)
                o[i] = e[i] + p[i];
        }
}

/* A row of wte collects dout from every position holding its id; a row of
 * wpe from every batch entry. */
void FN(encoder_backward)(REAL *dwte, REAL *dwpe, const REAL *dout, const int *ids, int B, int T,
                          int C)
{
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            const REAL *dy = dout + ((size_t)b * T + t) * C;
            REAL *de = dwte + (size_t)ids[b * T + t] * C, *dp = dwpe + (size_t)t * C;
            for (int i = 0; i < C; i++) {
                de[i] += dy[i];
                dp[i] += dy[i];
            }
        }
}

/* ---- softmax + cross-entropy ------------------------------------------- */

/* probs (B,T,V) = softmax(logits) per position (max subtracted first);
 * losses (B,T) = -log probs[target]; targets (B,T) in [0, V). */
void FN(crossentropy_forward)(REAL *losses, REAL *probs, const REAL *logits, const int *targets,
                              int B, int T, int V)
{
    for (int bt = 0; bt < B * T; bt++) {
        const REAL *z = logits + (size_t)bt * V;
        REAL *p = probs + (size_t)bt * V, top = z[0], sum = 0;
        for (int j = 1; j < V; j++)
            top = z[j] > top ? z[j] : top;
        for (int j = 0; j < V; j++) {
            p[j] = exp(z[j] - top);
            sum += p[j];
        }
        for (int j = 0; j < V; j++)
            p[j] /= sum;
        losses[bt] = -log(p[targets[bt]]);
    }
}

/* d(-log p_y)/dz_j = p_j - [j == y], times the position's dloss. */
void FN(crossentropy_backward)(REAL *dlogits, const REAL *dlosses, const REAL *probs,
                               const int *targets, int B, int T, int V)
{
    for (int bt = 0; bt < B * T; bt++) {
        const REAL *p = probs + (size_t)bt * V;
        REAL *dz = dlogits + (size_t)bt * V;
        for (int j = 0; j < V; j++)
            dz[j] += (p[j] - (j == targets[bt] ? 1 : 0)) * dlosses[bt];
    }
}

#undef GELU_K
#undef GELU_A
