/* fnx CPU kernels: the AVX-512 instantiations of the register-tile GEMM (gemm_tiles.h), included
 * by linalg.c on machines with AVX-512F:
 *  - float32 8 x 32 (16 zmm accumulators: 2 vectors of B and 8 broadcasts of A per k step);
 *  - float32 16 x 16 for narrow n (<= 16, e.g. the 10 classes of an MLP's last layer): one
 *    vector of B per k step, so a 10-wide C wastes 6 of 16 lanes instead of 22 of 32;
 *  - float64 8 x 24 (24 accumulators, 3 vectors of B and 8 broadcasts per k step), and
 *    16 x 8 for n <= 8;
 *  - both dtypes, n <= 4 (and n == 1): dot products along k (gemm_dots, 2-3x the tiles or
 *    the generic gemv there).
 * Lane masks are AVX-512 mask registers (an integer with one bit per lane). */
#define FNX_GEMM_TILES 1

/* float64 register tile (GEMM_DMR rows x GEMM_DNV vectors of 8 doubles) and its cache blocks,
 * and the rows of the narrow-n tiles.  Measured on the 2-core AVX-512 Xeon, dgemm 1024^3 /
 * 512^3 on one thread (CPU time, best of 10-20): 8 x 16 61 / 63 GFLOP/s, 12 x 16 55 / 58,
 * 8 x 24 62 / 63, 16 x 8 ~45; then the A prefetch (+8%) and a 4x unrolled k loop gave 8 x 24
 * 66 / 72 (numpy / OpenBLAS 69-71 / 62-65).  KC 128..256 and row blocks of 256..1024 rows
 * were within the noise; 192 keeps a 24-wide B panel (36 KiB) in the 48 KiB L1.
 * -D overrides these for such experiments. */
#ifndef GEMM_DMR
#define GEMM_DMR 8
#endif
#ifndef GEMM_DNV
#define GEMM_DNV 3
#endif
#ifndef GEMM_DKC
#define GEMM_DKC 192
#endif
#ifndef GEMM_DABLK
#define GEMM_DABLK 262144
#endif
#ifndef GEMM_DMC
#define GEMM_DMC 256
#endif
#ifndef GEMM_SNMR
#define GEMM_SNMR 16
#endif

#include <immintrin.h>
#include <sched.h>

#define G_DIRECT_B_MAX_M 16 /* rows of A up to which B is read in place */
#define G_PACK_A_MIN_PANELS 3 /* pack A when it is reused by at least this many B panels */
#define G_ABUF_MAX ((int64_t)2 << 20) /* elements of packed A per thread (8 MiB of floats) */
#define S_NARROW_N 16 /* float32 n up to which the one-vector-wide tile is used */
#define D_NARROW_N 8
#define DOTS_N 4 /* n up to which C is computed as dot products along k */

#define VSET1 _mm512_set1_ps
#define VFMA _mm512_fmadd_ps
#define VLOAD _mm512_load_ps
#define VLOADU _mm512_loadu_ps
#define VMLOADU _mm512_maskz_loadu_ps
#define VSTORE _mm512_store_ps
#define VSTOREU _mm512_storeu_ps
#define VMSTOREU _mm512_mask_storeu_ps
#define VADD _mm512_add_ps
#define VMAX _mm512_max_ps
#define VZERO _mm512_setzero_ps
#define VNANMASK(x) _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q)
#define VBLEND _mm512_mask_blend_ps
#define VREDUCE _mm512_reduce_add_ps
#define VLANES(cnt) (cnt >= GL ? (GK)~(GK)0 : cnt <= 0 ? (GK)0 : (GK)((1u << cnt) - 1u))
/* float32, 8 x 32 */
#define GT float
#define GSFX s
#define GV __m512
#define GK __mmask16
#define GL 16
#define GMR 8
#define GNV 2
#define GKC 256
#define GMC 256
#define GABLK 262144 /* 1 MiB of packed A per row block */
#define GPAR_MIN ((int64_t)6 << 20) /* measured: 4M MACs ran slower on 2 threads, 6M faster */
#include "gemm_tiles.h"
/* float32, 16 x 16 (narrow n) */
#define GT float
#define GSFX sn
#define GV __m512
#define GK __mmask16
#define GL 16
#define GMR GEMM_SNMR
#define GNV 1
#define GKC 512
#define GMC 256
#define GABLK 262144
#define GPAR_MIN ((int64_t)6 << 20)
#include "gemm_tiles.h"
#include "gemm_vec_undef.h"

#define VSET1 _mm512_set1_pd
#define VFMA _mm512_fmadd_pd
#define VLOAD _mm512_load_pd
#define VLOADU _mm512_loadu_pd
#define VMLOADU _mm512_maskz_loadu_pd
#define VSTORE _mm512_store_pd
#define VSTOREU _mm512_storeu_pd
#define VMSTOREU _mm512_mask_storeu_pd
#define VADD _mm512_add_pd
#define VMAX _mm512_max_pd
#define VZERO _mm512_setzero_pd
#define VNANMASK(x) _mm512_cmp_pd_mask(x, x, _CMP_UNORD_Q)
#define VBLEND _mm512_mask_blend_pd
#define VREDUCE _mm512_reduce_add_pd
#define VLANES(cnt) (cnt >= GL ? (GK)~(GK)0 : cnt <= 0 ? (GK)0 : (GK)((1u << cnt) - 1u))
/* float64, GEMM_DMR x 8 * GEMM_DNV */
#define GT double
#define GSFX d
#define GV __m512d
#define GK __mmask8
#define GL 8
#define GMR GEMM_DMR
#define GNV GEMM_DNV
#define GKC GEMM_DKC
#define GMC GEMM_DMC
#define GABLK GEMM_DABLK
#define GPAR_MIN ((int64_t)3 << 20) /* a double MAC costs two float ones */
#include "gemm_tiles.h"
/* float64, GEMM_SNMR x 8 (narrow n) */
#define GT double
#define GSFX dn
#define GV __m512d
#define GK __mmask8
#define GL 8
#define GMR GEMM_SNMR
#define GNV 1
#define GKC 512
#define GMC 256
#define GABLK 131072
#define GPAR_MIN ((int64_t)3 << 20)
#include "gemm_tiles.h"
#include "gemm_vec_undef.h"

