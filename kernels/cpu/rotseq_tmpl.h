/* fnx CPU kernels: a buffered sequence of plane rotations applied to the rows of a row-major
 * matrix, a dtype-generic template included by eig_tmpl.h (same LT / LSFX / L()).
 *
 * The QL / Golub-Kahan iterations produce ~n^2 rotations, each mixing two rows of the n x n
 * vector matrix.  Applied one at a time, every sweep streams the whole matrix through the
 * caches.  Instead the rotations are recorded (the iteration on d / e never reads the vectors)
 * and applied in batches: the matrix is cut into column blocks of L_ROT_COLS elements, small
 * enough that a block (rows x L_ROT_COLS) stays in the core's L2 cache while all the batch's
 * rotations run over it in order, and the blocks are shared out over the thread team (the
 * columns are independent).  Same rotations, same order per element: the same result. */

#ifndef L_ROT_COLS
#define L_ROT_COLS 64    /* columns per block: 1024 rows x 64 doubles = 512 KiB */
#define L_ROT_CAP 16384  /* rotations per batch: 384 KiB of (i, j, c, s) for doubles */
#endif

typedef struct {
  LT *x;            /* the matrix (NULL: rotations are dropped) */
  int64_t ld, cols; /* row stride, row length */
  int64_t cnt;      /* rotations recorded, not yet applied */
  int32_t *ij;      /* rows (i, j) of each rotation */
  LT *cs;           /* (c, s) of each rotation */
  int nt;
} L(rotseq);

/* rows x, y of length n: (x, y) <- (c x + s y, c y - s x) */
static inline void L(rotate_rows)(int64_t n, LT *x, LT *y, LT c, LT s) {
#pragma omp simd
  for (int64_t k = 0; k < n; k++) {
    const LT a = x[k], b = y[k];
    x[k] = c * a + s * b;
    y[k] = c * b - s * a;
  }
}

static int L(rotseq_init)(L(rotseq) *rs, LT *x, int64_t ld, int64_t cols, int nt) {
  memset(rs, 0, sizeof *rs);
  if (!x) return FNX_OK;
  rs->ij = (int32_t *)malloc(sizeof(int32_t) * 2 * L_ROT_CAP);
  rs->cs = (LT *)fnx_aligned_alloc(sizeof(LT) * 2 * L_ROT_CAP);
  if (!rs->ij || !rs->cs) {
    free(rs->ij), free(rs->cs);
    return FNX_ERR_ALLOC;
  }
  rs->x = x, rs->ld = ld, rs->cols = cols, rs->nt = nt;
  return FNX_OK;
}

/* the recorded rotations, in order, on column blocks lo .. hi - 1 */
static void L(rotseq_apply_blocks)(int64_t lo, int64_t hi, const void *ctx) {
  const L(rotseq) *rs = (const L(rotseq) *)ctx;
  for (int64_t b = lo; b < hi; b++) {
    const int64_t c0 = b * L_ROT_COLS, w = fnx_min64(L_ROT_COLS, rs->cols - c0);
    LT *x = rs->x + c0;
    for (int64_t r = 0; r < rs->cnt; r++)
      L(rotate_rows)(w, x + rs->ij[2 * r] * rs->ld, x + rs->ij[2 * r + 1] * rs->ld,
                     rs->cs[2 * r], rs->cs[2 * r + 1]);
  }
}

static void L(rotseq_flush)(L(rotseq) *rs) {
  if (!rs->x || rs->cnt == 0) return;
  const int64_t nb = fnx_cdiv(rs->cols, L_ROT_COLS);
  if (rs->nt > 1 && nb > 1) /* fnx_parallel_for stays on one thread when the work is small */
    fnx_parallel_for(nb, rs->cnt * rs->cols, L(rotseq_apply_blocks), rs);
  else
    L(rotseq_apply_blocks)(0, nb, rs);
  rs->cnt = 0;
}

/* record (x_i, x_j) <- (c x_i + s x_j, c x_j - s x_i) */
static inline void L(rotseq_push)(L(rotseq) *rs, int64_t i, int64_t j, LT c, LT s) {
  if (!rs->x) return;
  if (rs->cnt == L_ROT_CAP) L(rotseq_flush)(rs);
  rs->ij[2 * rs->cnt] = (int32_t)i, rs->ij[2 * rs->cnt + 1] = (int32_t)j;
  rs->cs[2 * rs->cnt] = c, rs->cs[2 * rs->cnt + 1] = s;
  rs->cnt++;
}

/* applies what is left and releases the buffers */
static void L(rotseq_finish)(L(rotseq) *rs) {
  L(rotseq_flush)(rs);
  free(rs->ij), free(rs->cs);
  rs->ij = NULL, rs->cs = NULL;
}
