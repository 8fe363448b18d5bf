/* fnx CPU kernels: a caching allocator for large array buffers.
 *
 * Why: an eager op on a big array allocates a fresh output; glibc serves big blocks with mmap
 * and returns them to the OS on free, so every op pays a page fault per 4 KiB page of its
 * output (about as much as the op itself at memory bandwidth).  Keeping recently freed blocks
 * and handing them out again for requests of the same size removes that cost, the way the
 * caching allocators of GPU frameworks do.  The cache is bounded (FNX_BUFFER_CACHE_MB, default
 * 512) and holds at most FNX_POOL_SLOTS blocks; a block that does not fit is freed.
 *
 * Each block starts with a 64-byte header holding its size, so fnx_buffer_free needs only the
 * pointer (it is the cffi destructor of the buffer).  Data is 64-byte aligned (AVX-512). */
#include <pthread.h>
#include "fnx_internal.h"

#define FNX_POOL_SLOTS 64
#define FNX_POOL_HEADER 64

static pthread_mutex_t g_pool_lock = PTHREAD_MUTEX_INITIALIZER;
static char *g_slots[FNX_POOL_SLOTS];
static int64_t g_cached_bytes = 0;
static int64_t g_cache_limit = -1;

static int64_t cache_limit(void) {
  if (g_cache_limit < 0) {
    const char *env = getenv("FNX_BUFFER_CACHE_MB");
    long mb = env && *env ? strtol(env, NULL, 10) : 512;
    g_cache_limit = (mb > 0 ? (int64_t)mb : 0) << 20;
  }
  return g_cache_limit;
}

static int64_t block_size(const char *block) {
  int64_t n;
  memcpy(&n, block, sizeof n);
  return n;
}

char *fnx_buffer_alloc(int64_t nbytes) {
  if (nbytes < 0) return NULL;
  char *block = NULL;
  pthread_mutex_lock(&g_pool_lock);
  for (int i = 0; i < FNX_POOL_SLOTS; i++) {
    if (g_slots[i] && block_size(g_slots[i]) == nbytes) {
      block = g_slots[i];
      g_slots[i] = NULL;
      g_cached_bytes -= nbytes;
      break;
    }
  }
  pthread_mutex_unlock(&g_pool_lock);
  if (!block) {
    void *mem = NULL;
    if (posix_memalign(&mem, FNX_POOL_HEADER, (size_t)nbytes + FNX_POOL_HEADER) != 0)
      return NULL;
    block = (char *)mem;
    memcpy(block, &nbytes, sizeof nbytes);
  }
  return block + FNX_POOL_HEADER;
}

void fnx_buffer_free(char *data) {
  if (!data) return;
  char *block = data - FNX_POOL_HEADER;
  int64_t nbytes = block_size(block);
  pthread_mutex_lock(&g_pool_lock);
  if (g_cached_bytes + nbytes <= cache_limit()) {
    for (int i = 0; i < FNX_POOL_SLOTS; i++) {
      if (!g_slots[i]) {
        g_slots[i] = block;
        g_cached_bytes += nbytes;
        block = NULL;
        break;
      }
    }
  }
  pthread_mutex_unlock(&g_pool_lock);
  free(block); /* NULL when it went into the cache */
}

void fnx_buffer_cache_clear(void) {
  pthread_mutex_lock(&g_pool_lock);
  for (int i = 0; i < FNX_POOL_SLOTS; i++) {
    free(g_slots[i]);
    g_slots[i] = NULL;
  }
  g_cached_bytes = 0;
  pthread_mutex_unlock(&g_pool_lock);
}

int64_t fnx_buffer_cache_bytes(void) {
  pthread_mutex_lock(&g_pool_lock);
  int64_t n = g_cached_bytes;
  pthread_mutex_unlock(&g_pool_lock);
  return n;
}
