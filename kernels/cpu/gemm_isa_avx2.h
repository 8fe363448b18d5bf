/* fnx CPU kernels: the AVX2 + FMA instantiations of the register-tile GEMM (gemm_tiles.h),
 * included by linalg.c on machines without AVX-512 (AMD Zen 1-3, Intel client cores).
 *
 * 16 ymm registers hold the tile, the B vectors of one k step and A's broadcast:
 *  - float32 6 x 16 (12 accumulators + 2 B vectors + 1 broadcast, the classic Haswell tile:
 *    two FMA ports with 5-cycle latency need >= 10 independent accumulators);
 *  - float32 12 x 8 for narrow n (3..8): one B vector per k step;
 *  - float64 6 x 8 and 12 x 4 likewise, 4 doubles per vector;
 *  - both dtypes, n <= 2: dot products along k (gemm_dots; with 8 accumulators and 4 A rows it
 *    fits the register file, which n = 3..4 would not).
 * Lane masks are integer vectors (all ones in a selected lane) for vmaskmov, which never
 * touches memory in a masked-off lane.
 * Measured on the 2-core AMD EPYC (Zen 2, 32 KiB L1d, 512 KiB L2) against numpy/OpenBLAS and
 * torch/MKL: see benchmarks/results/gemm_avx2.md.  -D overrides the blocking for experiments. */
#include <immintrin.h>
#include <sched.h>

#define FNX_GEMM_TILES 1

#ifndef GEMM_A2_SMR
#define GEMM_A2_SMR 6
#endif
#ifndef GEMM_A2_SNV
#define GEMM_A2_SNV 2
#endif
#ifndef GEMM_A2_SKC
#define GEMM_A2_SKC 256
#endif
#ifndef GEMM_A2_SABLK
#define GEMM_A2_SABLK 98304 /* 384 KiB of packed A per row block: most of the 512 KiB L2 */
#endif

#define G_DIRECT_B_MAX_M 16 /* rows of A up to which B is read in place */
#define G_PACK_A_MIN_PANELS 3 /* pack A when it is reused by at least this many B panels */
#define G_ABUF_MAX ((int64_t)2 << 20) /* elements of packed A per thread (8 MiB of floats) */
#define S_NARROW_N 8 /* float32 n up to which the one-vector-wide tile is used */
#define D_NARROW_N 4
#define DOTS_N 2 /* n up to which C is computed as dot products along k */

/* lane masks: a window into [-1 x L, 0 x L] starting at L - cnt */
static const int32_t fnx_a2_mask32[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
static const int64_t fnx_a2_mask64[8] = {-1, -1, -1, -1, 0, 0, 0, 0};
static inline __m256i fnx_a2_lanes32(int cnt) {
  cnt = cnt < 0 ? 0 : cnt > 8 ? 8 : cnt;
  return _mm256_loadu_si256((const __m256i *)(fnx_a2_mask32 + 8 - cnt));
}
static inline __m256i fnx_a2_lanes64(int cnt) {
  cnt = cnt < 0 ? 0 : cnt > 4 ? 4 : cnt;
  return _mm256_loadu_si256((const __m256i *)(fnx_a2_mask64 + 4 - cnt));
}
static inline float fnx_a2_hsum_ps(__m256 x) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
static inline double fnx_a2_hsum_pd(__m256d x) {
  __m128d s = _mm_add_pd(_mm256_castpd256_pd128(x), _mm256_extractf128_pd(x, 1));
  s = _mm_add_sd(s, _mm_unpackhi_pd(s, s));
  return _mm_cvtsd_f64(s);
}

#define VSET1 _mm256_set1_ps
#define VFMA _mm256_fmadd_ps
#define VLOAD _mm256_load_ps
#define VLOADU _mm256_loadu_ps
#define VMLOADU(m, p) _mm256_maskload_ps(p, m)
#define VSTORE _mm256_store_ps
#define VSTOREU _mm256_storeu_ps
#define VMSTOREU(p, m, x) _mm256_maskstore_ps(p, m, x)
#define VADD _mm256_add_ps
#define VMAX _mm256_max_ps
#define VZERO _mm256_setzero_ps
#define VNANMASK(x) _mm256_cmp_ps(x, x, _CMP_UNORD_Q)
#define VBLEND(m, x, y) _mm256_blendv_ps(x, y, m)
#define VREDUCE fnx_a2_hsum_ps
#define VLANES fnx_a2_lanes32
/* float32, 6 x 16 */
#define GT float
#define GSFX s
#define GV __m256
#define GK __m256i
#define GL 8
#define GMR GEMM_A2_SMR
#define GNV GEMM_A2_SNV
#define GKC GEMM_A2_SKC
#define GMC 256
#define GABLK GEMM_A2_SABLK
#define GPAR_MIN ((int64_t)6 << 20)
#include "gemm_tiles.h"
/* float32, 12 x 8 (narrow n) */
#define GT float
#define GSFX sn
#define GV __m256
#define GK __m256i
#define GL 8
#define GMR 12
#define GNV 1
#define GKC 512
#define GMC 240
#define GABLK GEMM_A2_SABLK
#define GPAR_MIN ((int64_t)6 << 20)
#include "gemm_tiles.h"
#include "gemm_vec_undef.h"

#define VSET1 _mm256_set1_pd
#define VFMA _mm256_fmadd_pd
#define VLOAD _mm256_load_pd
#define VLOADU _mm256_loadu_pd
#define VMLOADU(m, p) _mm256_maskload_pd(p, m)
#define VSTORE _mm256_store_pd
#define VSTOREU _mm256_storeu_pd
#define VMSTOREU(p, m, x) _mm256_maskstore_pd(p, m, x)
#define VADD _mm256_add_pd
#define VMAX _mm256_max_pd
#define VZERO _mm256_setzero_pd
#define VNANMASK(x) _mm256_cmp_pd(x, x, _CMP_UNORD_Q)
#define VBLEND(m, x, y) _mm256_blendv_pd(x, y, m)
#define VREDUCE fnx_a2_hsum_pd
#define VLANES fnx_a2_lanes64
/* float64, 6 x 8 */
#define GT double
#define GSFX d
#define GV __m256d
#define GK __m256i
#define GL 4
#define GMR 6
#define GNV 2
#define GKC 256
#define GMC 256
#define GABLK 49152
#define GPAR_MIN ((int64_t)3 << 20) /* a double MAC costs two float ones */
#include "gemm_tiles.h"
/* float64, 12 x 4 (narrow n) */
#define GT double
#define GSFX dn
#define GV __m256d
#define GK __m256i
#define GL 4
#define GMR 12
#define GNV 1
#define GKC 512
#define GMC 240
#define GABLK 49152
#define GPAR_MIN ((int64_t)3 << 20)
#include "gemm_tiles.h"
#include "gemm_vec_undef.h"
