/* FFT kernels (fnx_kernels.h, "FFT"): not implemented yet. */
#include "fnx_internal.h"

int fnx_fft_c2c(int dtype, int inverse, int64_t outer, int64_t n, int64_t inner, double scale,
                const char *x, char *y) {
  (void)dtype; (void)inverse; (void)outer; (void)n; (void)inner; (void)scale; (void)x; (void)y;
  return FNX_ERR_UNSUPPORTED;
}
int fnx_fft_r2c(int dtype, int64_t outer, int64_t n, int64_t inner, double scale, const char *x,
                char *y) {
  (void)dtype; (void)outer; (void)n; (void)inner; (void)scale; (void)x; (void)y;
  return FNX_ERR_UNSUPPORTED;
}
int fnx_fft_c2r(int dtype, int64_t outer, int64_t n, int64_t inner, double scale, const char *x,
                char *y) {
  (void)dtype; (void)outer; (void)n; (void)inner; (void)scale; (void)x; (void)y;
  return FNX_ERR_UNSUPPORTED;
}
