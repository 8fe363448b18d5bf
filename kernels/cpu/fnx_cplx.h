/* fnx CPU kernels: what the non-elementwise kernels need for complex dtypes (private, like
 * fnx_internal.h): the (re, im) pair types and orders of fnx_cplx_pair.h, and item sizes that
 * include the complex codes (fnx_itemsize covers the real dtypes only). */
#ifndef FNX_CPLX_H
#define FNX_CPLX_H
#include "fnx_internal.h"
#include "fnx_cplx_pair.h"

#define FNX_NUM_DTYPES_CPLX (FNX_COMPLEX128 + 1) /* every dtype code, the complex ones included */

static inline int fnx_is_complex(int dtype) {
  return dtype == FNX_COMPLEX64 || dtype == FNX_COMPLEX128;
}

/* the real dtype of a complex one's parts (float32 for complex64) */
static inline int fnx_complex_part_dtype(int dtype) {
  return dtype == FNX_COMPLEX64 ? FNX_FLOAT32 : FNX_FLOAT64;
}

static inline int64_t fnx_item_bytes(int dtype) {
  return fnx_is_complex(dtype) ? 2 * fnx_itemsize(fnx_complex_part_dtype(dtype))
                               : fnx_itemsize(dtype);
}

#endif
