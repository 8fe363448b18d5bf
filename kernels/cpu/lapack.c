/* fnx CPU kernels: the matrix decompositions (cholesky, triangular_solve, lu, qr, eigh, svd)
 * over a batch of contiguous row-major matrices, float32 and float64.
 *
 * The algorithms are templates (lapack_tmpl.h: Cholesky, triangular solve, LU, QR;
 * eig_tmpl.h: eigh, SVD) instantiated once per dtype.  A batch of small matrices is shared out
 * over the thread team, one matrix per thread at a time; a big matrix runs alone with the
 * team inside its GEMM updates (fnx_gemm_strided).  Numerical failure is data (NaN results),
 * never an error: the status is FNX_OK unless memory runs out or the dtype has no kernel. */
#include <float.h>
#include <omp.h>
#include "fnx_internal.h"

#define LT float
#define LSFX f32
#define LDT FNX_FLOAT32
#define LEPS FLT_EPSILON
#include "lapack_tmpl.h"
#include "eig_tmpl.h"
#undef LT
#undef LSFX
#undef LDT
#undef LEPS
#define LT double
#define LSFX f64
#define LDT FNX_FLOAT64
#define LEPS DBL_EPSILON
#include "lapack_tmpl.h"
#include "eig_tmpl.h"

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

static int is_float(int dtype) { return dtype == FNX_FLOAT32 || dtype == FNX_FLOAT64; }

/* ---- cholesky ---------------------------------------------------------------------------- */
typedef struct {
  int dtype;
  int64_t n;
  const char *a;
  char *l;
} chol_ctx;

static int chol_one(const void *p, int64_t t, int nt) {
  const chol_ctx *c = (const chol_ctx *)p;
  const int64_t off = t * c->n * c->n;
  if (c->dtype == FNX_FLOAT32)
    return cholesky_f32(c->n, (const float *)c->a + off, (float *)c->l + off, nt);
  return cholesky_f64(c->n, (const double *)c->a + off, (double *)c->l + off, nt);
}

int fnx_cholesky(int dtype, int64_t batch, int64_t n, const char *a, char *l) {
  if (!is_float(dtype)) return FNX_ERR_UNSUPPORTED;
  if (n == 0) return FNX_OK;
  chol_ctx c = {dtype, n, a, l};
  return run_batch(batch, n * n * n / 3, chol_one, &c);
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
  const int64_t ao = t * c->k * c->k, bo = t * c->m * c->n;
  if (c->dtype == FNX_FLOAT32)
    return triangular_solve_f32(c->m, c->n, (const float *)c->a + ao, (const float *)c->b + bo,
                                (float *)c->x + bo, c->left, c->lower, c->trans, c->unit, nt);
  return triangular_solve_f64(c->m, c->n, (const double *)c->a + ao, (const double *)c->b + bo,
                              (double *)c->x + bo, c->left, c->lower, c->trans, c->unit, nt);
}

int fnx_triangular_solve(int dtype, int64_t batch, int64_t m, int64_t n, const char *a,
                         const char *b, char *x, int left_side, int lower, int transpose_a,
                         int unit_diagonal) {
  if (!is_float(dtype)) return FNX_ERR_UNSUPPORTED;
  if (m == 0 || n == 0) return FNX_OK;
  const int64_t k = left_side ? m : n;
  trsv_ctx c = {dtype, left_side, lower, transpose_a, unit_diagonal, m, n, k, a, b, x};
  return run_batch(batch, m * n * k, trsv_one, &c);
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
  const int64_t off = t * c->m * c->n, k = fnx_min64(c->m, c->n);
  const size_t isz = (size_t)fnx_itemsize(c->dtype);
  char *lu = c->lu + (size_t)off * isz;
  memmove(lu, c->a + (size_t)off * isz, (size_t)(c->m * c->n) * isz);
  int32_t *piv = (int32_t *)c->piv + t * k, *perm = (int32_t *)c->perm + t * c->m;
  if (c->dtype == FNX_FLOAT32) return lu_f32(c->m, c->n, (float *)lu, piv, perm, nt);
  return lu_f64(c->m, c->n, (double *)lu, piv, perm, nt);
}

int fnx_lu(int dtype, int64_t batch, int64_t m, int64_t n, const char *a, char *lu,
           char *pivots, char *permutation) {
  if (!is_float(dtype)) return FNX_ERR_UNSUPPORTED;
  if (m == 0) return FNX_OK;
  lu_ctx c = {dtype, m, n, a, lu, pivots, permutation};
  const int64_t k = fnx_min64(m, n);
  return run_batch(batch, fnx_max64(m * n * k, m), lu_one, &c);
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
  const int64_t ao = t * c->m * c->n, qo = t * c->m * mq, ro = t * mq * c->n;
  if (c->dtype == FNX_FLOAT32)
    return qr_f32(c->m, c->n, (const float *)c->a + ao, c->full, (float *)c->q + qo,
                  (float *)c->r + ro, nt);
  return qr_f64(c->m, c->n, (const double *)c->a + ao, c->full, (double *)c->q + qo,
                (double *)c->r + ro, nt);
}

int fnx_qr(int dtype, int64_t batch, int64_t m, int64_t n, int full_matrices, const char *a,
           char *q, char *r) {
  if (!is_float(dtype)) return FNX_ERR_UNSUPPORTED;
  if (m == 0) return FNX_OK;
  qr_ctx c = {dtype, full_matrices, m, n, a, q, r};
  return run_batch(batch, 2 * m * n * fnx_max64(fnx_min64(m, n), 1), qr_one, &c);
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
  const int64_t ao = t * c->n * c->n, wo = t * c->n;
  if (c->dtype == FNX_FLOAT32)
    return eigh_f32(c->n, (const float *)c->a + ao, c->lower, (float *)c->v + ao,
                    (float *)c->w + wo, nt);
  return eigh_f64(c->n, (const double *)c->a + ao, c->lower, (double *)c->v + ao,
                  (double *)c->w + wo, nt);
}

int fnx_eigh(int dtype, int64_t batch, int64_t n, int lower, const char *a, char *v, char *w) {
  if (!is_float(dtype)) return FNX_ERR_UNSUPPORTED;
  if (n == 0) return FNX_OK;
  eigh_ctx c = {dtype, lower, n, a, v, w};
  return run_batch(batch, 10 * n * n * n, eigh_one, &c);
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
  const int64_t ao = t * m * n, so = t * k, uo = t * m * mu, vo = t * nv * n;
  if (c->dtype == FNX_FLOAT32)
    return svd_f32(m, n, (const float *)c->a + ao, c->full, c->uv, (float *)c->s + so,
                   c->uv ? (float *)c->u + uo : NULL, c->uv ? (float *)c->vt + vo : NULL, nt);
  return svd_f64(m, n, (const double *)c->a + ao, c->full, c->uv, (double *)c->s + so,
                 c->uv ? (double *)c->u + uo : NULL, c->uv ? (double *)c->vt + vo : NULL, nt);
}

int fnx_svd(int dtype, int64_t batch, int64_t m, int64_t n, int full_matrices, int compute_uv,
            const char *a, char *s, char *u, char *vt) {
  if (!is_float(dtype)) return FNX_ERR_UNSUPPORTED;
  if (m == 0 && n == 0) return FNX_OK;
  svd_ctx c = {dtype, full_matrices, compute_uv, m, n, a, s, u, vt};
  const int64_t k = fnx_min64(m, n);
  return run_batch(batch, 10 * fnx_max64(m, n) * fnx_max64(m, n) * fnx_max64(k, 1), svd_one,
                   &c);
}
