/* fnx CPU kernels: what the non-elementwise kernels need for complex dtypes (private, like
 * fnx_internal.h): numpy's orders (fnx_cplx_pair.h) and the dtype of a complex one's parts. */
#ifndef FNX_CPLX_H
#define FNX_CPLX_H
#include "fnx_internal.h"
#include "fnx_cplx_pair.h"

static inline int fnx_is_complex(int dtype) {
  return dtype == FNX_COMPLEX64 || dtype == FNX_COMPLEX128;
}

/* the real dtype of a complex one's parts (float32 for complex64) */
static inline int fnx_complex_part_dtype(int dtype) {
  return dtype == FNX_COMPLEX64 ? FNX_FLOAT32 : FNX_FLOAT64;
}

#endif
