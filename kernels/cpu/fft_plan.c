/* fnx CPU kernels, FFT plans: choosing the method, factoring, the twiddle tables (computed in
 * double from octant-reduced angles, then rounded to the plan's precision) and a small LRU
 * cache shared by all threads.  See fft_internal.h for what a plan holds. */
#include <pthread.h>
#include "fft_internal.h"

/* lengths from here on run as four-step: the Stockham passes' two n-long buffers stop fitting
 * the per-core L2 cache, while the sub-FFTs of ~sqrt(n) do */
#define FFT_FOURSTEP_MIN 32768
#define FFT_FOURSTEP_MIN_SIDE 16 /* both four-step sides at least this long */
#define FFT_CACHE_SIZE 32

/* ---- roots of unity ------------------------------------------------------------------------ */

/* exp(-2 pi i r / N) for 0 <= r < N.  The angle is reduced to [0, pi/4] by exact integer
 * symmetries (2 pi a / 4N with a = 4r), so only a small angle ever reaches cos / sin: far
 * more accurate than powers of one root, and no large argument for libm to reduce. */
static void unit_root(int64_t r, int64_t N, double *re, double *im) {
  int64_t a = 4 * r, n4 = 4 * N; /* angle = 2 pi a / n4 */
  int neg_sin = 0, neg_cos = 0, swap = 0;
  if (2 * a > n4) a = n4 - a, neg_sin = 1;            /* angle in (pi, 2 pi): mirror */
  if (4 * a > n4) a = n4 / 2 - a, neg_cos = 1;        /* (pi/2, pi] */
  if (8 * a > n4) a = n4 / 4 - a, swap = 1;           /* (pi/4, pi/2] */
  const double t = 2.0 * M_PI * (double)a / (double)n4;
  double c = cos(t), s = sin(t);
  if (swap) { const double u = c; c = s; s = u; }
  if (neg_cos) c = -c;
  if (neg_sin) s = -s;
  *re = c;
  *im = -s;
}

static size_t cplx_bytes(int prec) { return prec == FFT_F64 ? 16 : 8; }

static void *alloc_cplx(int prec, int64_t count) {
  return fnx_aligned_alloc((size_t)(count > 0 ? count : 1) * cplx_bytes(prec));
}

static void put_cplx(void *a, int prec, int64_t i, double re, double im) {
  if (prec == FFT_F64) {
    ((double *)a)[2 * i] = re, ((double *)a)[2 * i + 1] = im;
  } else {
    ((float *)a)[2 * i] = (float)re, ((float *)a)[2 * i + 1] = (float)im;
  }
}

/* a[i] = exp(-2 pi i r_i / N) for r_i = i * step mod N, i < count */
static void *root_table(int prec, int64_t count, int64_t step, int64_t N) {
  void *a = alloc_cplx(prec, count);
  if (!a) return NULL;
  int64_t r = 0;
  for (int64_t i = 0; i < count; i++) {
    double re, im;
    unit_root(r, N, &re, &im);
    put_cplx(a, prec, i, re, im);
    r = (r + step) % N;
  }
  return a;
}

/* ---- building -------------------------------------------------------------------------------- */

static fft_plan *build_plan(int64_t n, int prec, int kind);

static void free_plan(fft_plan *p) {
  if (!p) return;
  for (int i = 0; i < p->npass; i++) free(p->tw[i]), free(p->gen[i]);
  free_plan(p->sub[0]);
  free_plan(p->sub[1]);
  free(p->filter);
  free(p->roots);
  free(p);
}

/* radix-4 first (fewest passes), one 2, then 3, 5 and the other small primes; 0 when a prime
 * factor above FFT_GENERIC_MAX remains */
static int factorize(int64_t n, int64_t *radix) {
  int np = 0;
  while (n % 4 == 0) radix[np++] = 4, n /= 4;
  if (n % 2 == 0) radix[np++] = 2, n /= 2;
  for (int64_t p = 3; p <= FFT_GENERIC_MAX && n > 1; p += 2)
    while (n % p == 0) radix[np++] = p, n /= p;
  return n == 1 ? np : 0;
}

static int64_t largest_factor_below_sqrt(int64_t n) {
  int64_t d = (int64_t)sqrt((double)n);
  while (d * d > n) d--;
  while (n % d) d--;
  return d;
}

/* smallest 2^a 3^b 5^c >= n */
static int64_t smooth_length(int64_t n) {
  int64_t best = 1;
  while (best < n) best *= 2;
  for (int64_t p5 = 1; p5 < best; p5 *= 5)
    for (int64_t p35 = p5; p35 < best; p35 *= 3) {
      int64_t v = p35;
      while (v < n) v *= 2;
      if (v < best) best = v;
    }
  return best;
}

static int build_passes(fft_plan *p) {
  const int64_t n = p->n;
  int64_t l1 = 1;
  for (int i = 0; i < p->npass; i++) {
    const int64_t r = p->radix[i], ido = n / (l1 * r);
    p->l1[i] = l1;
    /* tw[(q - 1) * ido + k] = exp(-2 pi i q k / (ido r)) */
    p->tw[i] = alloc_cplx(p->prec, (r - 1) * ido);
    if (!p->tw[i]) return 0;
    for (int64_t q = 1; q < r; q++)
      for (int64_t k = 0; k < ido; k++) {
        double re, im;
        unit_root(q * k, ido * r, &re, &im);
        put_cplx(p->tw[i], p->prec, (q - 1) * ido + k, re, im);
      }
    if (r > 5) {
      p->gen[i] = root_table(p->prec, r, 1, r);
      if (!p->gen[i]) return 0;
    }
    l1 *= r;
  }
  return 1;
}

static int build_fourstep(fft_plan *p, int64_t n1) {
  p->n1 = n1;
  p->n2 = p->n / n1;
  p->sub[0] = build_plan(p->n1, p->prec, FFT_COMPLEX);
  p->sub[1] = build_plan(p->n2, p->prec, FFT_COMPLEX);
  p->roots = alloc_cplx(p->prec, p->n);
  if (!p->sub[0] || !p->sub[1] || !p->roots) return 0;
  for (int64_t k1 = 0; k1 < p->n1; k1++) {
    int64_t r = 0;
    for (int64_t j2 = 0; j2 < p->n2; j2++) { /* r = k1 j2 < n */
      double re, im;
      unit_root(r, p->n, &re, &im);
      put_cplx(p->roots, p->prec, k1 * p->n2 + j2, re, im);
      r += k1;
    }
  }
  return 1;
}

static int build_bluestein(fft_plan *p) {
  const int64_t n = p->n, m = smooth_length(2 * n - 1);
  p->m = m;
  p->sub[0] = build_plan(m, p->prec, FFT_COMPLEX);
  p->roots = alloc_cplx(p->prec, n);
  void *b = alloc_cplx(p->prec, m);
  p->filter = alloc_cplx(p->prec, m);
  int ok = p->sub[0] && p->roots && b && p->filter;
  if (ok) {
    /* chirp c_k = exp(-i pi k^2 / n) = exp(-2 pi i (k^2 mod 2n) / 2n); b = conj(c) placed
     * circularly (b_l for |l| < n), zero elsewhere */
    memset(b, 0, (size_t)m * cplx_bytes(p->prec));
    int64_t r = 0; /* k^2 mod 2n, kept exact by increments of 2k + 1 */
    for (int64_t k = 0; k < n; k++) {
      double re, im;
      unit_root(r, 2 * n, &re, &im);
      put_cplx(p->roots, p->prec, k, re, im);
      put_cplx(b, p->prec, k, re, -im);
      if (k > 0) put_cplx(b, p->prec, m - k, re, -im);
      r += 2 * k + 1;
      if (r >= 2 * n) r -= 2 * n;
    }
    ok = fft_run_c2c(p->sub[0], 1, 1.0 / (double)m, b, p->filter, 1) == FNX_OK;
  }
  free(b);
  return ok;
}

static int build_real(fft_plan *p) {
  const int64_t n = p->n;
  if (n % 2) {
    p->method = FFT_REAL_ODD;
    p->sub[0] = build_plan(n, p->prec, FFT_COMPLEX);
    return p->sub[0] != NULL;
  }
  p->method = FFT_REAL_EVEN;
  p->sub[0] = build_plan(n / 2, p->prec, FFT_COMPLEX);
  p->roots = root_table(p->prec, n / 2 + 1, 1, n);
  return p->sub[0] && p->roots;
}

static fft_plan *build_plan(int64_t n, int prec, int kind) {
  fft_plan *p = calloc(1, sizeof(fft_plan));
  if (!p) return NULL;
  p->n = n, p->prec = prec, p->kind = kind;
  int ok;
  const int64_t n1 = n >= FFT_FOURSTEP_MIN ? largest_factor_below_sqrt(n) : 1;
  if (kind == FFT_REAL) {
    ok = build_real(p);
  } else if (n1 >= FFT_FOURSTEP_MIN_SIDE) {
    p->method = FFT_FOURSTEP;
    ok = build_fourstep(p, n1);
  } else if ((p->npass = factorize(n, p->radix)) > 0 || n == 1) {
    p->method = FFT_PASSES;
    ok = build_passes(p);
  } else {
    p->method = FFT_BLUESTEIN;
    ok = build_bluestein(p);
  }
  if (!ok) {
    free_plan(p);
    return NULL;
  }
  return p;
}

int64_t fft_work_size(const fft_plan *p, int64_t V) {
  switch (p->method) {
  case FFT_PASSES: return p->n * V;
  case FFT_FOURSTEP: return 0; /* allocates its own n-long intermediate */
  case FFT_BLUESTEIN: return 2 * p->m * V + fft_work_size(p->sub[0], V);
  case FFT_REAL_EVEN: return p->n * V + fft_work_size(p->sub[0], V); /* z and Z, n/2 each */
  default: return 2 * p->n * V + fft_work_size(p->sub[0], V);        /* FFT_REAL_ODD */
  }
}

/* ---- the cache ------------------------------------------------------------------------------
 * Plans in use carry a reference count; a full cache evicts the least recently used plan that
 * no one holds (a plan that finds no free slot is handed out uncached and freed on release). */

typedef struct {
  fft_plan *plan;
  int refs;
  uint64_t last_use;
} cache_slot;

static cache_slot g_cache[FFT_CACHE_SIZE];
static uint64_t g_clock;
static pthread_mutex_t g_cache_lock = PTHREAD_MUTEX_INITIALIZER;

static cache_slot *find_slot(int64_t n, int prec, int kind) {
  for (int i = 0; i < FFT_CACHE_SIZE; i++) {
    const fft_plan *p = g_cache[i].plan;
    if (p && p->n == n && p->prec == prec && p->kind == kind) return &g_cache[i];
  }
  return NULL;
}

static cache_slot *free_or_evictable_slot(void) {
  cache_slot *best = NULL;
  for (int i = 0; i < FFT_CACHE_SIZE; i++) {
    cache_slot *s = &g_cache[i];
    if (!s->plan) return s;
    if (s->refs == 0 && (!best || s->last_use < best->last_use)) best = s;
  }
  return best;
}

fft_plan *fft_plan_acquire(int64_t n, int prec, int kind) {
  pthread_mutex_lock(&g_cache_lock);
  cache_slot *s = find_slot(n, prec, kind);
  if (s) {
    s->refs++;
    s->last_use = ++g_clock;
    pthread_mutex_unlock(&g_cache_lock);
    return s->plan;
  }
  pthread_mutex_unlock(&g_cache_lock);

  fft_plan *p = build_plan(n, prec, kind); /* outside the lock: may take a while */
  if (!p) return NULL;
  pthread_mutex_lock(&g_cache_lock);
  s = find_slot(n, prec, kind);
  if (s) { /* another thread built it meanwhile */
    free_plan(p);
    p = s->plan;
  } else if ((s = free_or_evictable_slot()) != NULL) {
    free_plan(s->plan);
    s->plan = p;
    s->refs = 0;
  }
  if (s) {
    s->refs++;
    s->last_use = ++g_clock;
  }
  pthread_mutex_unlock(&g_cache_lock);
  return p;
}

void fft_plan_release(fft_plan *p) {
  pthread_mutex_lock(&g_cache_lock);
  cache_slot *s = NULL;
  for (int i = 0; i < FFT_CACHE_SIZE && !s; i++)
    if (g_cache[i].plan == p) s = &g_cache[i];
  if (s) s->refs--;
  pthread_mutex_unlock(&g_cache_lock);
  if (!s) free_plan(p);
}
