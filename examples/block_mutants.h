/*
 * block_mutants.h -- the planted bugs of block_mutants.c: float (name) and
 * double (name_f64).  Each has the signature of the backward it breaks.
 */
#ifndef GC_EXAMPLES_BLOCK_MUTANTS_H
#define GC_EXAMPLES_BLOCK_MUTANTS_H

void layernorm_backward_no_var_term(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w, const float *mean, const float *rstd, int B, int T, int C);
void matmul_backward_dw_assign(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w, int B, int T, int C, int OC);
void attention_backward_dv_index(float *dinp, float *dpre, float *datt, const float *dout, const float *inp, const float *att, int B, int T, int C, int NH);
void gelu_backward_no_cubic(float *dinp, const float *inp, const float *dout, int N);
void residual_backward_shifted(float *dinp1, float *dinp2, const float *dout, int N);
void encoder_backward_dwpe_assign(float *dwte, float *dwpe, const float *dout, const int *ids, int B, int T, int C);
void crossentropy_backward_dloss_index(float *dlogits, const float *dlosses, const float *probs, const int *targets, int B, int T, int V);

void layernorm_backward_no_var_term_f64(double *dinp, double *dw, double *db, const double *dout, const double *inp, const double *w, const double *mean, const double *rstd, int B, int T, int C);
void matmul_backward_dw_assign_f64(double *dinp, double *dw, double *db, const double *dout, const double *inp, const double *w, int B, int T, int C, int OC);
void attention_backward_dv_index_f64(double *dinp, double *dpre, double *datt, const double *dout, const double *inp, const double *att, int B, int T, int C, int NH);
void gelu_backward_no_cubic_f64(double *dinp, const double *inp, const double *dout, int N);
void residual_backward_shifted_f64(double *dinp1, double *dinp2, const double *dout, int N);
void encoder_backward_dwpe_assign_f64(double *dwte, double *dwpe, const double *dout, const int *ids, int B, int T, int C);
void crossentropy_backward_dloss_index_f64(double *dlogits, const double *dlosses, const double *probs, const int *targets, int B, int T, int V);

#endif
