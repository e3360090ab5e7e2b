#include "simd.h"

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

const SimdKernels *simd_kernels(void) {
    /* Chosen before any worker thread starts: the first call comes from
     * the thread that loads the model. */
    static const SimdKernels *chosen;
    if (!chosen) chosen = choose();
    return chosen;
}
