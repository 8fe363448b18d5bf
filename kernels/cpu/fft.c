/* fnx CPU kernels: FFT (fnx_kernels.h, "FFT").  The algorithms are templates instantiated once
 * per precision (fft_pass_tmpl.h: the Stockham butterfly passes; fft_exec_tmpl.h: four-step,
 * Bluestein, the real-input transforms and the batch driver); fft_plan.c builds and caches the
 * plans.  Written from the textbook algorithms (Van Loan, "Computational Frameworks for the
 * FFT"; Bluestein 1970; Bailey's four-step FFT). */
#include "fft_internal.h"

#define T float
#define FSFX f32
#include "fft_pass_tmpl.h"
#include "fft_exec_tmpl.h"
#undef T
#undef FSFX
#define T double
#define FSFX f64
#include "fft_pass_tmpl.h"
#include "fft_exec_tmpl.h"
#undef T
#undef FSFX

int fft_run_c2c(const fft_plan *p, int sign, double scale, const void *x, void *y, int64_t V) {
  void *work = fnx_aligned_alloc((size_t)fft_work_size(p, V) * (p->prec == FFT_F64 ? 16 : 8));
  if (!work) return FNX_ERR_ALLOC;
  const int nt = fnx_threads();
  int rc = p->prec == FFT_F64
               ? exec_f64(p, sign, scale, x, y, work, V, nt)
               : exec_f32(p, (float)sign, (float)scale, x, y, work, V, nt);
  free(work);
  return rc;
}

/* the plan of (n, precision of dtype, kind) run as `op` over the batch */
static int fft_entry(int op, int prec, int kind, int sign, int64_t outer, int64_t n,
                     int64_t inner, double scale, const char *x, char *y) {
  if (outer <= 0 || inner <= 0 || n <= 0) return FNX_OK;
  fft_plan *p = fft_plan_acquire(n, prec, kind);
  if (!p) return FNX_ERR_ALLOC;
  int rc = prec == FFT_F64
               ? batch_f64(p, op, sign, scale, outer, inner, (const double *)x, (double *)y)
               : batch_f32(p, op, (float)sign, (float)scale, outer, inner, (const float *)x,
                           (float *)y);
  fft_plan_release(p);
  return rc;
}

static int complex_prec(int dtype) {
  return dtype == FNX_COMPLEX64 ? FFT_F32 : dtype == FNX_COMPLEX128 ? FFT_F64 : -1;
}

static int real_prec(int dtype) {
  return dtype == FNX_FLOAT32 ? FFT_F32 : dtype == FNX_FLOAT64 ? FFT_F64 : -1;
}

int fnx_fft_c2c(int dtype, int inverse, int64_t outer, int64_t n, int64_t inner, double scale,
                const char *x, char *y) {
  const int prec = complex_prec(dtype);
  if (prec < 0) return FNX_ERR_UNSUPPORTED;
  return fft_entry(FFT_OP_C2C, prec, FFT_COMPLEX, inverse ? -1 : 1, outer, n, inner, scale, x,
                   y);
}

int fnx_fft_r2c(int dtype, int64_t outer, int64_t n, int64_t inner, double scale, const char *x,
                char *y) {
  const int prec = real_prec(dtype);
  if (prec < 0) return FNX_ERR_UNSUPPORTED;
  return fft_entry(FFT_OP_R2C, prec, FFT_REAL, 1, outer, n, inner, scale, x, y);
}

int fnx_fft_c2r(int dtype, int64_t outer, int64_t n, int64_t inner, double scale, const char *x,
                char *y) {
  const int prec = complex_prec(dtype);
  if (prec < 0) return FNX_ERR_UNSUPPORTED;
  return fft_entry(FFT_OP_C2R, prec, FFT_REAL, -1, outer, n, inner, scale, x, y);
}
