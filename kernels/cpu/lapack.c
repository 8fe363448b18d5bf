/* fnx CPU kernels: the matrix decompositions (cholesky, triangular_solve, lu, qr, eigh, svd,
 * eig) over a batch of contiguous row-major matrices, float32 / float64 / complex64 /
 * complex128.
 *
 * The algorithms are templates instantiated once per dtype: the real ones (lapack_tmpl.h:
 * Cholesky, triangular solve, LU, QR; eig_tmpl.h: eigh, SVD) blocked with GEMM updates, the
 * complex ones (lapack_complex_tmpl.h, eigh_complex_tmpl.h: the same six on the real QL /
 * Golub-Kahan iterations; eig_general_tmpl.h: eig, also for real input) unblocked.  A batch of
 * small matrices is shared out over the thread team, one matrix per thread at a time; a big
 * matrix runs alone with the team inside its GEMM updates (fnx_gemm_strided).  Numerical
 * failure is data (NaN results), never an error: the status is FNX_OK unless memory runs out
 * or the dtype has no kernel. */
#include <float.h>
#include <omp.h>
#include "fnx_cplx.h"
/* after fnx_scalar.h: its macros have parameters named I, which <complex.h> defines */
#include <complex.h>

#define LT float
#define LSFX f32
#define LDT FNX_FLOAT32
#define LEPS FLT_EPSILON
#define LMIN FLT_MIN
#define ZT float _Complex
#define ZSFX c64
#define ZRE crealf
#define ZIM cimagf
#define ZCONJ conjf
#define ZABS cabsf
#define ZSQRT csqrtf
#include "lapack_tmpl.h"
#include "eig_tmpl.h"
#include "lapack_complex_tmpl.h"
#include "eigh_complex_tmpl.h"
#include "eig_general_tmpl.h"
#undef LT
#undef LSFX
#undef LDT
#undef LEPS
#undef LMIN
#undef ZT
#undef ZSFX
#undef ZRE
#undef ZIM
#undef ZCONJ
#undef ZABS
#undef ZSQRT
#define LT double
#define LSFX f64
#define LDT FNX_FLOAT64
#define LEPS DBL_EPSILON
#define LMIN DBL_MIN
#define ZT double _Complex
#define ZSFX c128
#define ZRE creal
#define ZIM cimag
#define ZCONJ conj
#define ZABS cabs
#define ZSQRT csqrt
#include "lapack_tmpl.h"
#include "eig_tmpl.h"
#include "lapack_complex_tmpl.h"
#include "eigh_complex_tmpl.h"
#include "eig_general_tmpl.h"

/* A matrix with about this many flops or more runs alone with the whole team (its GEMMs are
 * threaded); smaller ones run one per thread. */
#define BATCH_ALONE_FLOPS ((int64_t)96 * 96 * 96)
/* below this much work in all, the batch runs on the calling thread (waking the team costs
 * tens of us) */
#define BATCH_PAR_MIN ((int64_t)1 << 17)

typedef int (*one_matrix_fn)(const void *ctx, int64_t t, int nt);

static int run_batch(int64_t batch, int64_t flops, one_matrix_fn fn, const void *ctx) {
  if (batch <= 0) return FNX_OK;
  const int nt = fnx_threads();
  if (batch > 1 && nt > 1 && flops < BATCH_ALONE_FLOPS && batch * flops >= BATCH_PAR_MIN) {
    int err = FNX_OK;
#pragma omp parallel for num_threads(nt) schedule(dynamic)
    for (int64_t t = 0; t < batch; t++) {
      const int e = fn(ctx, t, 1);
      if (e) err = e;
    }
    return err;
  }
  for (int64_t t = 0; t < batch; t++) {
    const int e = fn(ctx, t, flops >= BATCH_ALONE_FLOPS ? nt : 1);
    if (e) return e;
  }
  return FNX_OK;
}

static int is_decomp_dtype(int dtype) {
  return dtype == FNX_FLOAT32 || dtype == FNX_FLOAT64 || dtype == FNX_COMPLEX64 ||
         dtype == FNX_COMPLEX128;
}

/* bytes per element of the real dtype of the precision (eigh's w, svd's s) */
static size_t real_size(int dtype) {
  return dtype == FNX_FLOAT32 || dtype == FNX_COMPLEX64 ? 4 : 8;
}

/* fn_<sfx>(args...) for the decomposition dtype; the buffers are passed as void pointers, which
 * convert to each instance's element type */
#define BY_DTYPE(dtype, fn, ...)                                                              \
  ((dtype) == FNX_FLOAT32     ? fn##_f32(__VA_ARGS__)                                         \
   : (dtype) == FNX_FLOAT64   ? fn##_f64(__VA_ARGS__)                                         \
   : (dtype) == FNX_COMPLEX64 ? fn##_c64(__VA_ARGS__)                                         \
                              : fn##_c128(__VA_ARGS__))

/* the work run_batch weighs a matrix by: the complex kernels are unblocked (no threaded GEMM
 * inside), so a batch of them always shares out over the team, one matrix per thread */
static int64_t batch_work(int dtype, int64_t flops) {
  return fnx_is_complex(dtype) ? fnx_min64(flops, BATCH_ALONE_FLOPS - 1) : flops;
}

/* matrix t of a batch whose matrices have `elems` elements of `esize` bytes */
static inline char *at(const char *base, int64_t t, int64_t elems, size_t esize) {
  return (char *)base + (size_t)(t * elems) * esize;
}

/* ---- cholesky ---------------------------------------------------------------------------- */
typedef struct {
  int dtype;
  int64_t n;
  const char *a;
  char *l;
} chol_ctx;

static int chol_one(const void *p, int64_t t, int nt) {
  const chol_ctx *c = (const chol_ctx *)p;
  const size_t es = (size_t)fnx_itemsize(c->dtype);
  void *a = at(c->a, t, c->n * c->n, es), *l = at(c->l, t, c->n * c->n, es);
  return BY_DTYPE(c->dtype, cholesky, c->n, a, l, nt);
}

int fnx_cholesky(int dtype, int64_t batch, int64_t n, const char *a, char *l) {
  if (!is_decomp_dtype(dtype)) return FNX_ERR_UNSUPPORTED;
  if (n == 0) return FNX_OK;
  chol_ctx c = {dtype, n, a, l};
  return run_batch(batch, batch_work(dtype, n * n * n / 3), chol_one, &c);
}

/* ---- triangular_solve ---------------------------------------------------------------------- */
typedef struct {
  int dtype, left, lower, trans, unit;
  int64_t m, n, k;
  const char *a, *b;
  char *x;
} trsv_ctx;

static int trsv_one(const void *p, int64_t t, int nt) {
  const trsv_ctx *c = (const trsv_ctx *)p;
  const size_t es = (size_t)fnx_itemsize(c->dtype);
  void *a = at(c->a, t, c->k * c->k, es), *b = at(c->b, t, c->m * c->n, es);
  void *x = at(c->x, t, c->m * c->n, es);
  return BY_DTYPE(c->dtype, triangular_solve, c->m, c->n, a, b, x, c->left, c->lower, c->trans,
                  c->unit, nt);
}

int fnx_triangular_solve(int dtype, int64_t batch, int64_t m, int64_t n, const char *a,
                         const char *b, char *x, int left_side, int lower, int transpose_a,
                         int unit_diagonal) {
  if (!is_decomp_dtype(dtype)) return FNX_ERR_UNSUPPORTED;
  if (m == 0 || n == 0) return FNX_OK;
  const int64_t k = left_side ? m : n;
  /* the real kernels take a flag: a^H is a^T there */
  const int trans = fnx_is_complex(dtype) ? transpose_a : transpose_a != 0;
  trsv_ctx c = {dtype, left_side, lower, trans, unit_diagonal, m, n, k, a, b, x};
  return run_batch(batch, batch_work(dtype, m * n * k), trsv_one, &c);
}

/* ---- lu ------------------------------------------------------------------------------------ */
typedef struct {
  int dtype;
  int64_t m, n;
  const char *a;
  char *lu, *piv, *perm;
} lu_ctx;

static int lu_one(const void *p, int64_t t, int nt) {
  const lu_ctx *c = (const lu_ctx *)p;
  const int64_t k = fnx_min64(c->m, c->n);
  const size_t es = (size_t)fnx_itemsize(c->dtype);
  void *lu = at(c->lu, t, c->m * c->n, es);
  memmove(lu, at(c->a, t, c->m * c->n, es), (size_t)(c->m * c->n) * es);
  int32_t *piv = (int32_t *)c->piv + t * k, *perm = (int32_t *)c->perm + t * c->m;
  return BY_DTYPE(c->dtype, lu, c->m, c->n, lu, piv, perm, nt);
}

int fnx_lu(int dtype, int64_t batch, int64_t m, int64_t n, const char *a, char *lu,
           char *pivots, char *permutation) {
  if (!is_decomp_dtype(dtype)) return FNX_ERR_UNSUPPORTED;
  if (m == 0) return FNX_OK;
  lu_ctx c = {dtype, m, n, a, lu, pivots, permutation};
  const int64_t k = fnx_min64(m, n);
  return run_batch(batch, batch_work(dtype, fnx_max64(m * n * k, m)), lu_one, &c);
}

/* ---- qr ------------------------------------------------------------------------------------ */
typedef struct {
  int dtype, full;
  int64_t m, n;
  const char *a;
  char *q, *r;
} qr_ctx;

static int qr_one(const void *p, int64_t t, int nt) {
  const qr_ctx *c = (const qr_ctx *)p;
  const int64_t k = fnx_min64(c->m, c->n), mq = c->full ? c->m : k;
  const size_t es = (size_t)fnx_itemsize(c->dtype);
  void *a = at(c->a, t, c->m * c->n, es), *q = at(c->q, t, c->m * mq, es);
  void *r = at(c->r, t, mq * c->n, es);
  return BY_DTYPE(c->dtype, qr, c->m, c->n, a, c->full, q, r, nt);
}

int fnx_qr(int dtype, int64_t batch, int64_t m, int64_t n, int full_matrices, const char *a,
           char *q, char *r) {
  if (!is_decomp_dtype(dtype)) return FNX_ERR_UNSUPPORTED;
  if (m == 0) return FNX_OK;
  qr_ctx c = {dtype, full_matrices, m, n, a, q, r};
  return run_batch(batch, batch_work(dtype, 2 * m * n * fnx_max64(fnx_min64(m, n), 1)), qr_one, &c);
}

/* ---- eigh ---------------------------------------------------------------------------------- */
typedef struct {
  int dtype, lower;
  int64_t n;
  const char *a;
  char *v, *w;
} eigh_ctx;

static int eigh_one(const void *p, int64_t t, int nt) {
  const eigh_ctx *c = (const eigh_ctx *)p;
  const size_t es = (size_t)fnx_itemsize(c->dtype);
  void *a = at(c->a, t, c->n * c->n, es), *v = at(c->v, t, c->n * c->n, es);
  void *w = at(c->w, t, c->n, real_size(c->dtype));
  return BY_DTYPE(c->dtype, eigh, c->n, a, c->lower, v, w, nt);
}

int fnx_eigh(int dtype, int64_t batch, int64_t n, int lower, const char *a, char *v, char *w) {
  if (!is_decomp_dtype(dtype)) return FNX_ERR_UNSUPPORTED;
  if (n == 0) return FNX_OK;
  eigh_ctx c = {dtype, lower, n, a, v, w};
  return run_batch(batch, batch_work(dtype, 10 * n * n * n), eigh_one, &c);
}

/* ---- svd ----------------------------------------------------------------------------------- */
typedef struct {
  int dtype, full, uv;
  int64_t m, n;
  const char *a;
  char *s, *u, *vt;
} svd_ctx;

static int svd_one(const void *p, int64_t t, int nt) {
  const svd_ctx *c = (const svd_ctx *)p;
  const int64_t m = c->m, n = c->n, k = fnx_min64(m, n);
  const int64_t mu = c->full ? m : k, nv = c->full ? n : k;
  const size_t es = (size_t)fnx_itemsize(c->dtype);
  void *a = at(c->a, t, m * n, es), *s = at(c->s, t, k, real_size(c->dtype));
  void *u = c->uv ? at(c->u, t, m * mu, es) : NULL, *vt = c->uv ? at(c->vt, t, nv * n, es) : NULL;
  return BY_DTYPE(c->dtype, svd, m, n, a, c->full, c->uv, s, u, vt, nt);
}

int fnx_svd(int dtype, int64_t batch, int64_t m, int64_t n, int full_matrices, int compute_uv,
            const char *a, char *s, char *u, char *vt) {
  if (!is_decomp_dtype(dtype)) return FNX_ERR_UNSUPPORTED;
  if (m == 0 && n == 0) return FNX_OK;
  svd_ctx c = {dtype, full_matrices, compute_uv, m, n, a, s, u, vt};
  const int64_t k = fnx_min64(m, n);
  const int64_t flops = 10 * fnx_max64(m, n) * fnx_max64(m, n) * fnx_max64(k, 1);
  return run_batch(batch, batch_work(dtype, flops), svd_one, &c);
}

/* ---- eig ----------------------------------------------------------------------------------- */
typedef struct {
  int dtype, compute_v;
  int64_t n;
  const char *a;
  char *w, *v;
} eig_ctx;

static int eig_one(const void *p, int64_t t, int nt) {
  (void)nt;
  const eig_ctx *c = (const eig_ctx *)p;
  const int64_t n = c->n;
  const int single = c->dtype == FNX_FLOAT32 || c->dtype == FNX_COMPLEX64;
  const size_t zs = single ? 8 : 16; /* w, v: complex of the precision */
  const void *a = at(c->a, t, n * n, (size_t)fnx_itemsize(c->dtype));
  void *w = at(c->w, t, n, zs), *v = c->compute_v ? at(c->v, t, n * n, zs) : NULL;
  const int a_real = !fnx_is_complex(c->dtype);
  return single ? eig_c64(n, a, a_real, c->compute_v, w, v)
                : eig_c128(n, a, a_real, c->compute_v, w, v);
}

int fnx_eig(int dtype, int64_t batch, int64_t n, int compute_v, const char *a, char *w,
            char *v) {
  if (!is_decomp_dtype(dtype)) return FNX_ERR_UNSUPPORTED;
  if (n == 0) return FNX_OK;
  eig_ctx c = {dtype, compute_v, n, a, w, v};
  return run_batch(batch, batch_work(FNX_COMPLEX128, 25 * n * n * n), eig_one, &c);
}
