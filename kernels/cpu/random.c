/* fnx CPU kernels: counter-based random bits -- Threefry-2x32 with 20 rounds.
 *
 * Threefry (Salmon, Moraes, Dror, Shaw: "Parallel random numbers: as easy as 1, 2, 3", SC11)
 * is the Threefish block cipher with the tweak removed and fewer rounds: a key (k0, k1)
 * encrypts a counter (c0, c1) into two 32-bit words.  Each round is a MIX -- add, rotate,
 * xor -- on the two words; every 4 rounds a subkey from the key schedule
 * (k0, k1, k2 = 0x1BD11BDA ^ k0 ^ k1) is injected together with the injection number.
 * No table lookups and no data-dependent branches, so the loop vectorizes (gcc turns the
 * rotate idiom into vprold on AVX-512). */
#include <omp.h>
#include "fnx_internal.h"

static inline uint32_t tf_rotl(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

/* one MIX round with rotation R */
#define TF_R(R)             \
  x0 += x1;                 \
  x1 = tf_rotl(x1, R);      \
  x1 ^= x0;
/* four rounds with the first (A) or second (B) half of the rotation schedule */
#define TF_4A TF_R(13) TF_R(15) TF_R(26) TF_R(6)
#define TF_4B TF_R(17) TF_R(29) TF_R(16) TF_R(24)
/* key injection s (1..5): subkeys s mod 3 and s + 1 mod 3, plus s on the second word */
#define TF_INJECT(ka, kb, s) \
  x0 += (ka);                \
  x1 += (kb) + (uint32_t)(s);

static inline void tf2x32_20(uint32_t k0, uint32_t k1, uint32_t c0, uint32_t c1,
                             uint32_t *y0, uint32_t *y1) {
  const uint32_t k2 = 0x1BD11BDAu ^ k0 ^ k1;
  uint32_t x0 = c0 + k0, x1 = c1 + k1;
  TF_4A TF_INJECT(k1, k2, 1)
  TF_4B TF_INJECT(k2, k0, 2)
  TF_4A TF_INJECT(k0, k1, 3)
  TF_4B TF_INJECT(k1, k2, 4)
  TF_4A TF_INJECT(k2, k0, 5)
  *y0 = x0;
  *y1 = x1;
}

int fnx_threefry2x32(int64_t n, const char *key0, const char *key1, const char *ctr0,
                     const char *ctr1, int scalar_mask, char *out0, char *out1) {
  const uint32_t *k0 = (const uint32_t *)key0, *k1 = (const uint32_t *)key1;
  const uint32_t *c0 = (const uint32_t *)ctr0, *c1 = (const uint32_t *)ctr1;
  uint32_t *y0 = (uint32_t *)out0, *y1 = (uint32_t *)out1;
  if (n <= 0) return FNX_OK;
  const int nt = fnx_team(n, FNX_PAR_MIN);
  if ((scalar_mask & 3) == 3 && (scalar_mask & 12) == 0) {
    /* the common case (random bits of one key over an iota of counters): keys hoisted, a
     * plain indexed loop that vectorizes */
    const uint32_t a = k0[0], b = k1[0];
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t i = 0; i < n; i++) tf2x32_20(a, b, c0[i], c1[i], &y0[i], &y1[i]);
    return FNX_OK;
  }
  /* general case: each operand is either a full array (stride 1) or one scalar (stride 0) */
  const int64_t s0 = (scalar_mask & 1) ? 0 : 1, s1 = (scalar_mask & 2) ? 0 : 1;
  const int64_t s2 = (scalar_mask & 4) ? 0 : 1, s3 = (scalar_mask & 8) ? 0 : 1;
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t i = 0; i < n; i++)
    tf2x32_20(k0[i * s0], k1[i * s1], c0[i * s2], c1[i * s3], &y0[i], &y1[i]);
  return FNX_OK;
}
