/*
 * gradcheck.h -- libgradcheck, the whole public API.
 *
 * gradcheck verifies backpropagation: a small backprop core (dense layers,
 * activations, losses, a network that keeps its forward-pass cache) and a
 * finite-difference engine that perturbs every parameter and input by +-eps
 * and compares the numerical gradient with the analytic one, element by
 * element.
 *
 * Conventions: double everywhere; a batch is a matrix with one column per
 * example; functions return GC_OK or a negative GC_E... code; the library
 * never prints on its own and never exits.
 */
#ifndef GRADCHECK_H
#define GRADCHECK_H

#include "gradcheck/base.h"
#include "gradcheck/pcg32.h"
#include "gradcheck/mat.h"
#include "gradcheck/layer.h"
#include "gradcheck/net.h"
#include "gradcheck/check.h"
#include "gradcheck/report.h"
#include "gradcheck/sweep.h"
#include "gradcheck/func.h"
#include "gradcheck/netfile.h"
#include "gradcheck/arch.h"
#include "gradcheck/expect.h"

#endif
