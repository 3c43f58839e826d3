/*
 * block.h -- the transformer-block layers of block.c: float32 (name) and
 * their double twins (name_f64), the same source.  Shapes and the
 * derivatives are written above each function in block_impl.h.
 */
#ifndef GC_EXAMPLES_BLOCK_H
#define GC_EXAMPLES_BLOCK_H

void layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *w, const float *b, int B, int T, int C);
void layernorm_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w, const float *mean, const float *rstd, int B, int T, int C);
void matmul_forward(float *out, const float *inp, const float *w, const float *b, int B, int T, int C, int OC);
void matmul_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w, int B, int T, int C, int OC);
void attention_forward(float *out, float *pre, float *att, const float *inp, int B, int T, int C, int NH);
void attention_backward(float *dinp, float *dpre, float *datt, const float *dout, const float *inp, const float *att, int B, int T, int C, int NH);
void gelu_forward(float *out, const float *inp, int N);
void gelu_backward(float *dinp, const float *inp, const float *dout, int N);
void residual_forward(float *out, const float *inp1, const float *inp2, int N);
void residual_backward(float *dinp1, float *dinp2, const float *dout, int N);
void encoder_forward(float *out, const int *ids, const float *wte, const float *wpe, int B, int T, int C);
void encoder_backward(float *dwte, float *dwpe, const float *dout, const int *ids, int B, int T, int C);
void crossentropy_forward(float *losses, float *probs, const float *logits, const int *targets, int B, int T, int V);
void crossentropy_backward(float *dlogits, const float *dlosses, const float *probs, const int *targets, int B, int T, int V);

void layernorm_forward_f64(double *out, double *mean, double *rstd, const double *inp, const double *w, const double *b, int B, int T, int C);
void layernorm_backward_f64(double *dinp, double *dw, double *db, const double *dout, const double *inp, const double *w, const double *mean, const double *rstd, int B, int T, int C);
void matmul_forward_f64(double *out, const double *inp, const double *w, const double *b, int B, int T, int C, int OC);
void matmul_backward_f64(double *dinp, double *dw, double *db, const double *dout, const double *inp, const double *w, int B, int T, int C, int OC);
void attention_forward_f64(double *out, double *pre, double *att, const double *inp, int B, int T, int C, int NH);
void attention_backward_f64(double *dinp, double *dpre, double *datt, const double *dout, const double *inp, const double *att, int B, int T, int C, int NH);
void gelu_forward_f64(double *out, const double *inp, int N);
void gelu_backward_f64(double *dinp, const double *inp, const double *dout, int N);
void residual_forward_f64(double *out, const double *inp1, const double *inp2, int N);
void residual_backward_f64(double *dinp1, double *dinp2, const double *dout, int N);
void encoder_forward_f64(double *out, const int *ids, const double *wte, const double *wpe, int B, int T, int C);
void encoder_backward_f64(double *dwte, double *dwpe, const double *dout, const int *ids, int B, int T, int C);
void crossentropy_forward_f64(double *losses, double *probs, const double *logits, const int *targets, int B, int T, int V);
void crossentropy_backward_f64(double *dlogits, const double *dlosses, const double *probs, const int *targets, int B, int T, int V);

#endif
