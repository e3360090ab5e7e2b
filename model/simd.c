#include "simd.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const SimdKernels *simd_kernels_named(const char *name) {
    if (!strcmp(name, "portable")) return simd_portable();
    if (!strcmp(name, "avx2")) return simd_avx2();
    if (!strcmp(name, "avx512")) return simd_avx512();
    return NULL;
}

static const SimdKernels *choose(void) {
    const char *forced = getenv("SWAN_SIMD");
    if (forced && *forced) {
        const SimdKernels *k = simd_kernels_named(forced);
        if (k) return k;
        fprintf(stderr, "swan: warning: SWAN_SIMD=%s is not available here; choosing by CPU\n", forced);
    }
    const SimdKernels *k = simd_avx512();
    if (!k) k = simd_avx2();
    return k ? k : simd_portable();
}

static const SimdKernels *chosen;

static void choose_once(void) {
    chosen = choose();
}

const SimdKernels *simd_kernels(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, choose_once); /* worker threads may ask first */
    return chosen;
}
