/* fnx CPU kernels: the register-tile GEMM, a template over the element type and the vector ISA
 * (not a header of its own).
 *
 * gemm_isa_avx512.h / gemm_isa_avx2.h include this file once per (dtype, register tile) after
 * defining:
 *   GT, GSFX          element type and the name suffix of the generated functions
 *   GV, GK, GL        vector type, its lane mask type, lanes per vector
 *   GMR, GNV          register tile: GMR rows x GNV vectors (GNR = GNV * GL columns)
 *   GKC, GMC, GABLK   K slice (B panel in L1), max rows per block, elements of A per block (L2)
 *   GPAR_MIN          multiply-adds below which one thread is faster
 *   VSET1 VFMA VLOAD VLOADU VMLOADU VSTOREU VMSTOREU VSTORE VADD VMAX VZERO VNANMASK VBLEND
 *   VREDUCE VLANES   (VMLOADU(mask, p), VMSTOREU(p, mask, x), VBLEND(mask, x, y): y where set)
 * and #undefs them afterwards (GEMM_TEMPLATE_END).
 *
 * C is cut into work items (a row block of A times a group of GNR-wide column panels) that the
 * threads claim from a shared counter, with no barrier inside: a thread that wakes late just
 * takes fewer items.  Each thread packs its row block of A once over the whole K (GMR-row
 * panels, in L2; skipped when n is narrow and A would be used by only one or two panels) and
 * each KC x GNR panel of B into an L1-resident buffer (skipped for m <= 16, where B is read in
 * place: packing would cost as much as the multiply).  Partial tiles use masked loads /
 * stores, so nothing past the operands is read or written, and the zero padding only ever
 * meets discarded lanes (an inf in A never multiplies a padding 0 into a visible NaN).
 * On the last K slice the tile can apply the fused epilogue c = act(c + bias) before it is
 * stored (fnx_matmul_epilogue).  An operand given transposed (fnx_matmul_ex) is read only by
 * the packing routines (pack_at / pack_bt): a transposed A is always packed, a transposed B
 * never read in place. */
#define GCAT2(a, b) a##_##b
#define GCAT(a, b) GCAT2(a, b)
#define G(name) GCAT(name, GSFX)
#define GNR (GNV * GL)

/* the lane mask of the first `cnt` lanes (all for cnt >= GL, none for cnt <= 0) */
static inline GK G(lanes)(int cnt) { return VLANES(cnt); }

/* C(r, :) (+)= sum over kc steps of A(r, p) B(p, :), (mr, nr) <= (GMR, GNR) of it written.
 * A is packed (a[p * GMR + r]) or read in place (a[r * lda + p]); B is packed (b[p * GNR + j],
 * aligned) or read in place (row stride ldb, masked when nr < GNR).  The flags are constants
 * in every caller below, so each one gets its own specialised loop. */
static inline __attribute__((always_inline)) void G(tile)(
    int64_t kc, const GT *a, int64_t lda, int apacked, const GT *b, int64_t ldb, int bmode,
    GT *c, int64_t ldc, int mr, int nr, int add, const fnx_epilogue *ep) {
  enum { B_PACKED = 0, B_FULL = 1, B_MASKED = 2 };
  GK bm[GNV];
  _Pragma("GCC unroll 4") for (int v = 0; v < GNV; v++) bm[v] = G(lanes)(nr - v * GL);
  const int64_t ars = apacked ? 1 : lda, astep = apacked ? GMR : 1;
  const int64_t bstep = bmode == B_PACKED ? GNR : ldb;
  /* C's rows are touched only at the end: start fetching them now */
  _Pragma("GCC unroll 16") for (int r = 0; r < GMR; r++)
    if (r < mr) _mm_prefetch((const char *)(c + r * ldc), _MM_HINT_T0),
                _mm_prefetch((const char *)(c + r * ldc + GNR - 1), _MM_HINT_T0);
  GV acc[GMR][GNV];
  _Pragma("GCC unroll 16") for (int r = 0; r < GMR; r++)
    _Pragma("GCC unroll 4") for (int v = 0; v < GNV; v++) acc[r][v] = VZERO();
  _Pragma("GCC unroll 4")
  for (int64_t p = 0; p < kc; p++) {
    /* A streams from L2 (B's panel sits in L1): fetch it 16 k steps ahead (measured +8%) */
    _mm_prefetch((const char *)(a + 16 * astep), _MM_HINT_T0);
    GV bv[GNV];
    _Pragma("GCC unroll 4") for (int v = 0; v < GNV; v++)
      bv[v] = bmode == B_PACKED ? VLOAD(b + v * GL)
              : bmode == B_FULL ? VLOADU(b + v * GL) : VMLOADU(bm[v], b + v * GL);
    _Pragma("GCC unroll 16") for (int r = 0; r < GMR; r++) {
      const GV av = VSET1(a[r * ars]);
      _Pragma("GCC unroll 4") for (int v = 0; v < GNV; v++) acc[r][v] = VFMA(av, bv[v], acc[r][v]);
    }
    a += astep;
    b += bstep;
  }
  GV bias[GNV];
  _Pragma("GCC unroll 4") for (int v = 0; v < GNV; v++) bias[v] = VZERO();
  if (ep && ep->bias)
    _Pragma("GCC unroll 4") for (int v = 0; v < GNV; v++)
      bias[v] = VMLOADU(bm[v], (const GT *)ep->bias + v * GL);
  const int full = nr == GNR;
  _Pragma("GCC unroll 16") for (int r = 0; r < GMR; r++) {
    if (r >= mr) break;
    GT *cr = c + r * ldc;
    _Pragma("GCC unroll 4") for (int v = 0; v < GNV; v++) {
      GV x = acc[r][v];
      if (add) x = VADD(full ? VLOADU(cr + v * GL) : VMLOADU(bm[v], cr + v * GL), x);
      if (ep) {
        if (ep->bias) x = VADD(x, bias[v]);
        /* relu = max(x, 0) as fnx's max: a NaN x stays NaN, -0 becomes +0 */
        if (ep->act == FNX_ACT_RELU) x = VBLEND(VNANMASK(x), VMAX(x, VZERO()), x);
      }
      if (full) VSTOREU(cr + v * GL, x);
      else VMSTOREU(cr + v * GL, bm[v], x);
    }
  }
}

#define GTILE_VARIANT(name, AP, BM)                                                         \
  static void G(name)(int64_t kc, const GT *a, int64_t lda, const GT *b, int64_t ldb, GT *c, \
                      int64_t ldc, int mr, int nr, int add, const fnx_epilogue *ep) {       \
    G(tile)(kc, a, lda, AP, b, ldb, BM, c, ldc, mr, nr, add, ep);                            \
  }
GTILE_VARIANT(tile_pp, 1, 0) /* A packed, B packed */
GTILE_VARIANT(tile_rp, 0, 0) /* A rows, B packed */
GTILE_VARIANT(tile_pd, 1, 1) /* A packed, B direct, full width */
GTILE_VARIANT(tile_pm, 1, 2) /* A packed, B direct, masked */
GTILE_VARIANT(tile_rd, 0, 1)
GTILE_VARIANT(tile_rm, 0, 2)
#undef GTILE_VARIANT

/* B rows [0, kc) x cols [0, nr) (nr <= GNR) -> bp[p * GNR + j], zero padded */
static void G(pack_b)(const GT *b, int64_t ldb, int64_t kc, int nr, GT *bp) {
  GK bm[GNV];
  for (int v = 0; v < GNV; v++) bm[v] = G(lanes)(nr - v * GL);
  for (int64_t p = 0; p < kc; p++, b += ldb, bp += GNR)
    _Pragma("GCC unroll 4") for (int v = 0; v < GNV; v++)
      VSTORE(bp + v * GL, nr == GNR ? VLOADU(b + v * GL) : VMLOADU(bm[v], b + v * GL));
}

/* the same panel from B^T stored as rows: B(p, j) = bt[j * ldbt + p] (each row read along k) */
static void G(pack_bt)(const GT *bt, int64_t ldbt, int64_t kc, int nr, GT *bp) {
  for (int j = 0; j < GNR; j++, bt += ldbt) {
    if (j < nr)
      for (int64_t p = 0; p < kc; p++) bp[p * GNR + j] = bt[p];
    else
      for (int64_t p = 0; p < kc; p++) bp[p * GNR + j] = (GT)0;
  }
}

/* A rows [0, mc) x cols [0, kc) -> GMR-row panels ap[panel][p][r], zero padded */
static void G(pack_a)(const GT *a, int64_t lda, int64_t mc, int64_t kc, GT *ap) {
  for (int64_t ir = 0; ir < mc; ir += GMR, ap += GMR * kc) {
    const int64_t mr = fnx_min64(GMR, mc - ir);
    const GT *ar = a + ir * lda;
    if (mr == GMR) {
      /* k outer, rows inner: GMR sequential read streams and one sequential write stream
       * (rows outer wrote with a stride of GMR elements: 2-3x slower for long K) */
      for (int64_t p = 0; p < kc; p++)
        _Pragma("GCC unroll 16") for (int r = 0; r < GMR; r++) ap[p * GMR + r] = ar[r * lda + p];
    } else {
      for (int64_t p = 0; p < kc; p++)
        for (int r = 0; r < GMR; r++) ap[p * GMR + r] = r < mr ? ar[r * lda + p] : (GT)0;
    }
  }
}

/* the same panels from A^T stored as rows: A(r, p) = at[p * ldat + r] (GMR consecutive
 * elements of each row of A^T per panel and k step) */
static void G(pack_at)(const GT *at, int64_t ldat, int64_t mc, int64_t kc, GT *ap) {
  for (int64_t ir = 0; ir < mc; ir += GMR, ap += GMR * kc) {
    const int mr = (int)fnx_min64(GMR, mc - ir);
    for (int64_t p = 0; p < kc; p++) {
      const GT *src = at + p * ldat + ir;
      if (mr == GMR)
        _Pragma("GCC unroll 16") for (int r = 0; r < GMR; r++) ap[p * GMR + r] = src[r];
      else
        for (int r = 0; r < GMR; r++) ap[p * GMR + r] = r < mr ? src[r] : (GT)0;
    }
  }
}

/* per-thread scratch, kept between calls (OpenMP threads persist): no malloc/page faults on
 * the hot path.  abuf holds one packed row block of A over the whole K. */
static __thread GT *G(abuf), *G(bbuf);
static __thread int64_t G(abuf_cap);

typedef struct {
  int64_t m, n, k, rb, gw, nrb, ngr;
  int64_t lda, ldb, ldc; /* row strides (k, n, n when contiguous) */
  const GT *a, *b;
  GT *c;
  int pack_a, acc; /* acc: C += A @ B instead of C = A @ B (fnx_gemm_strided) */
  int ta, tb;      /* A / B given transposed: (k, m) / (n, k) rows of stride lda / ldb */
  const fnx_epilogue *ep;
} G(job);

/* C[ic:ic+mc, jc:jc+nc] = A[ic:ic+mc, :] @ B[:, jc:jc+nc]; A's row block is packed into `ap`
 * already when job->pack_a (full K, GMR-row panels), else read in place (tails packed here). */
static void G(item)(const G(job) *jb, int64_t ic, int64_t mc, int64_t jc, int64_t nc,
                    const GT *ap, GT *bp, GT *tail) {
  const int64_t k = jb->k, lda = jb->lda, ldb = jb->ldb, ldc = jb->ldc;
  const int64_t nks = fnx_cdiv(k, GKC), kcb = fnx_cdiv(k, nks); /* balanced KC slices */
  const int64_t mfull = jb->pack_a ? 0 : mc / GMR * GMR;
  const GT *ablk = jb->a + ic * lda;
  for (int64_t pc = 0; pc < k; pc += kcb) {
    const int64_t kc = fnx_min64(kcb, k - pc);
    const int add = pc > 0 || jb->acc;
    if (!jb->pack_a && mfull < mc) G(pack_a)(ablk + mfull * lda + pc, lda, mc - mfull, kc, tail);
    for (int64_t jr = jc; jr < jc + nc; jr += GNR) {
      const int nr = (int)fnx_min64(GNR, jc + nc - jr);
      const GT *bsrc = jb->tb ? jb->b + jr * ldb + pc : jb->b + pc * ldb + jr;
      GT *cblk = jb->c + ic * ldc + jr;
      const GT *pa = jb->pack_a ? ap + pc * GMR : tail;
      const int64_t pstride = jb->pack_a ? k * GMR : kc * GMR;
      /* the epilogue runs once, on the last K slice, with the bias shifted to this panel */
      fnx_epilogue epl, *ep = NULL;
      if (jb->ep && pc + kc >= k) {
        epl.act = jb->ep->act;
        epl.bias = jb->ep->bias ? (const GT *)jb->ep->bias + jr : NULL;
        ep = &epl;
      }
      int64_t ir = 0;
      if (mc <= G_DIRECT_B_MAX_M && !jb->tb) {
        for (; ir < mfull; ir += GMR)
          (nr == GNR ? G(tile_rd) : G(tile_rm))(kc, ablk + ir * lda + pc, lda, bsrc, ldb,
                                                cblk + ir * ldc, ldc, GMR, nr, add, ep);
        for (; ir < mc; ir += GMR)
          (nr == GNR ? G(tile_pd) : G(tile_pm))(kc, pa + ((ir - mfull) / GMR) * pstride, 0, bsrc,
                                                ldb, cblk + ir * ldc, ldc,
                                                (int)fnx_min64(GMR, mc - ir), nr, add, ep);
        continue;
      }
      if (jb->tb) G(pack_bt)(bsrc, ldb, kc, nr, bp);
      else G(pack_b)(bsrc, ldb, kc, nr, bp);
      for (; ir < mfull; ir += GMR)
        G(tile_rp)(kc, ablk + ir * lda + pc, lda, bp, 0, cblk + ir * ldc, ldc, GMR, nr, add, ep);
      for (; ir < mc; ir += GMR)
        G(tile_pp)(kc, pa + ((ir - mfull) / GMR) * pstride, 0, bp, 0, cblk + ir * ldc, ldc,
                   (int)fnx_min64(GMR, mc - ir), nr, add, ep);
    }
  }
}

/* Work items (row block, column group), claimed from a shared counter so a thread that wakes
 * late (OMP_WAIT_POLICY=PASSIVE: tens of us here) simply takes fewer; no barriers inside. */
static int G(worker)(const G(job) *jb, int64_t *next, int nt) {
  if (!G(bbuf)) G(bbuf) = (GT *)fnx_aligned_alloc(sizeof(GT) * (GKC * GNR + GKC * GMR));
  const int64_t need = jb->pack_a ? fnx_cdiv(jb->rb, GMR) * GMR * jb->k : 0;
  if (need > G(abuf_cap)) {
    free(G(abuf));
    G(abuf) = (GT *)fnx_aligned_alloc(sizeof(GT) * (size_t)need);
    G(abuf_cap) = G(abuf) ? need : 0;
  }
  if (!G(bbuf) || (need && !G(abuf))) return FNX_ERR_ALLOC;
  const int64_t nitems = jb->nrb * jb->ngr;
  int64_t packed_rb = -1;
  for (;;) {
    const int64_t it = nt > 1 ? __atomic_fetch_add(next, 1, __ATOMIC_RELAXED) : (*next)++;
    if (it >= nitems) break;
    const int64_t rbi = it / jb->ngr, gi = it % jb->ngr;
    const int64_t ic = rbi * jb->rb, mc = fnx_min64(jb->rb, jb->m - ic);
    const int64_t jc = gi * jb->gw, nc = fnx_min64(jb->gw, jb->n - jc);
    if (jb->pack_a && rbi != packed_rb) {
      if (jb->ta) G(pack_at)(jb->a + ic, jb->lda, mc, jb->k, G(abuf));
      else G(pack_a)(jb->a + ic * jb->lda, jb->lda, mc, jb->k, G(abuf));
      packed_rb = rbi;
    }
    G(item)(jb, ic, mc, jc, nc, G(abuf), G(bbuf), G(bbuf) + GKC * GNR);
  }
  return FNX_OK;
}

/* C (+)= ep(op(A) @ op(B)) with row strides lda / ldb / ldc, m, n, k >= 1, on a team of up to
 * nt threads (acc: accumulate into C, for the blocked decompositions' trailing updates).
 * ta / tb: A is given as A^T, (k, m) rows, / B as B^T, (n, k) rows; they are read by the packing
 * routines only (a transposed A is always packed, a transposed B never read in place), so a
 * product with a transposed operand costs no transpose pass over it. */
static int G(gemm_ld)(int64_t m, int64_t n, int64_t k, const GT *a, int64_t lda, int ta,
                      const GT *b, int64_t ldb, int tb, GT *c, int64_t ldc, int acc, int nt,
                      const fnx_epilogue *ep) {
  if (m * n * k < GPAR_MIN) nt = 1;
  G(job) jb;
  jb.m = m, jb.n = n, jb.k = k, jb.a = a, jb.b = b, jb.c = c, jb.ep = ep;
  jb.lda = lda, jb.ldb = ldb, jb.ldc = ldc, jb.acc = acc, jb.ta = ta, jb.tb = tb;
  const int64_t npanels = fnx_cdiv(n, GNR);
  jb.pack_a = ta || npanels >= G_PACK_A_MIN_PANELS;
  /* row blocks: <= GMC rows; one K slice of the packed block (rows x KC, what the tiles stream
   * from L2 while a B panel sits in L1) within GABLK elements; the whole packed block (rows x
   * K, kept per thread) within G_ABUF_MAX elements.  Bounding rows x K by the cache instead
   * left a handful of rows per block for long K (k = 10000: 6-26 rows), so every packed B
   * panel served one or two tiles and packing B cost as much as the multiply. */
  const int64_t kslice = fnx_cdiv(k, fnx_cdiv(k, GKC));
  int64_t rb = fnx_min64(GMC, fnx_min64(GABLK / kslice, G_ABUF_MAX / k));
  rb = fnx_max64(GMR, rb / GMR * GMR);
  jb.nrb = fnx_cdiv(m, rb);
  jb.rb = rb = fnx_cdiv(fnx_cdiv(m, jb.nrb), GMR) * GMR; /* balanced */
  /* column groups: enough items for the team to balance (>= 4 per thread) */
  int64_t g = npanels;
  if (nt > 1 && jb.nrb < 4 * nt) g = fnx_max64(1, npanels / fnx_cdiv(4 * nt, jb.nrb));
  jb.gw = g * GNR;
  jb.ngr = fnx_cdiv(npanels, g);
  if (nt > jb.nrb * jb.ngr) nt = (int)(jb.nrb * jb.ngr);
  int64_t next = 0;
  if (nt <= 1) return G(worker)(&jb, &next, 1);
  int err = FNX_OK, done = 0;
#pragma omp parallel num_threads(nt)
  {
    const int e = G(worker)(&jb, &next, nt);
    if (e) err = e;
    __atomic_add_fetch(&done, 1, __ATOMIC_RELEASE);
    /* The caller waits for the rest of the team here rather than sleeping in the closing
     * barrier (a futex wake-up costs tens of us on these VMs), so it arrives last and is not
     * woken late.  It yields rather than spins, in case a team thread shares its core (an
     * oversubscribed machine), and gives up after a while (the barrier then waits). */
    if (omp_get_thread_num() == 0) {
      for (int i = 0; i < 4096 && __atomic_load_n(&done, __ATOMIC_ACQUIRE) < omp_get_num_threads();
           i++) {
        if (i < 64) _mm_pause();
        else sched_yield();
      }
    }
  }
  return err;
}

/* C = ep(op(A) @ op(B)), all contiguous (A (m, k) or, with ta, (k, m); B (k, n) or (n, k)) */
static int G(gemm)(int64_t m, int64_t n, int64_t k, const GT *a, int ta, const GT *b, int tb,
                   GT *c, int nt, const fnx_epilogue *ep) {
  return G(gemm_ld)(m, n, k, a, ta ? m : k, ta, b, tb ? k : n, tb, c, n, 0, nt, ep);
}

/* ---- very narrow n (<= 4): n dot products per row, vectorized along k ----------------------
 * Even a one-vector tile would leave most lanes idle here; instead B's n columns are packed
 * as rows (B^T, zero padded to whole vectors, once per call) and each group of 4 rows of A
 * runs 4 x n vector dot products over k, summed across lanes at the end. */
static inline __attribute__((always_inline)) void G(dots_rows)(
    int64_t k, int64_t kp, const GT *a, const GT *bt, GT *c, int rows, int nj,
    const fnx_epilogue *ep) {
  GV acc[4][4];
  _Pragma("GCC unroll 4") for (int r = 0; r < 4; r++)
    _Pragma("GCC unroll 4") for (int j = 0; j < 4; j++) acc[r][j] = VZERO();
  for (int64_t p = 0; p < kp; p += GL) {
    const GK km = G(lanes)((int)(k - p)); /* the tail's lanes past k read nothing */
    GV av[4];
    _Pragma("GCC unroll 4") for (int r = 0; r < 4; r++)
      av[r] = r < rows ? VMLOADU(km, a + r * k + p) : VZERO();
    _Pragma("GCC unroll 4") for (int j = 0; j < 4; j++) {
      if (j >= nj) break;
      const GV bv = VLOAD(bt + j * kp + p);
      _Pragma("GCC unroll 4") for (int r = 0; r < 4; r++) acc[r][j] = VFMA(av[r], bv, acc[r][j]);
    }
  }
  for (int r = 0; r < rows; r++)
    for (int j = 0; j < nj; j++) {
      GT x = VREDUCE(acc[r][j]);
      if (ep) {
        if (ep->bias) x += ((const GT *)ep->bias)[j];
        if (ep->act == FNX_ACT_RELU) x = (x > 0 || x != x) ? x : (GT)0; /* fnx's max(x, 0) */
      }
      c[r * nj + j] = x;
    }
}

#define GDOTS_CASE(NJ)                                                                        \
  case NJ:                                                                                    \
    for (int64_t i = lo; i < hi; i += 4) {                                                    \
      const int rows = (int)fnx_min64(4, m - i);                                              \
      if (rows == 4) G(dots_rows)(k, kp, a + i * k, bt, c + i * NJ, 4, NJ, ep);               \
      else G(dots_rows)(k, kp, a + i * k, bt, c + i * NJ, rows, NJ, ep);                      \
    }                                                                                         \
    break;

__attribute__((unused)) static int G(gemm_dots)(int64_t m, int64_t n, int64_t k, const GT *a, const GT *b, GT *c,
                        int nt, const fnx_epilogue *ep) {
  const int64_t kp = fnx_cdiv(k, GL) * GL;
  GT *bt = (GT *)fnx_aligned_alloc(sizeof(GT) * (size_t)(n * kp));
  if (!bt) return FNX_ERR_ALLOC;
  for (int64_t j = 0; j < n; j++)
    for (int64_t p = 0; p < kp; p++) bt[j * kp + p] = p < k ? b[p * n + j] : (GT)0;
  if (m * n * k < GPAR_MIN) nt = 1;
  const int64_t groups = fnx_cdiv(m, 4);
#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    const int t = omp_get_thread_num(), T = omp_get_num_threads();
    const int64_t lo = groups * t / T * 4, hi = fnx_min64(m, groups * (t + 1) / T * 4);
    switch (n) {
      GDOTS_CASE(1)
      GDOTS_CASE(2)
      GDOTS_CASE(3)
      GDOTS_CASE(4)
      default: break;
    }
  }
  free(bt);
  return FNX_OK;
}
#undef GDOTS_CASE

#undef G
#undef GNR
#undef GCAT
#undef GCAT2
#undef GT
#undef GSFX
#undef GV
#undef GK
#undef GL
#undef GMR
#undef GNV
#undef GKC
#undef GMC
#undef GABLK
#undef GPAR_MIN
