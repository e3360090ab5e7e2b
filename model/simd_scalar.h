/* One element of a weight row as f32, in plain C: the portable kernels'
 * whole work and the vector kernels' tails. Rows are little-endian and may
 * be unaligned (they lie in a mapped file), so bytes are read, not words. */
#ifndef SWAN_SIMD_SCALAR_H
#define SWAN_SIMD_SCALAR_H

#include <stdint.h>
#include <string.h>

#include "half_float.h"
#include "simd.h"

static inline float simd_element(MatDtype dtype, const unsigned char *p, size_t i) {
    if (dtype == MAT_BF16) return half_bf16_to_f32(half_load_le16(p + 2 * i));
    if (dtype == MAT_F16) return half_f16_to_f32(half_load_le16(p + 2 * i));
    float v;
    memcpy(&v, p + 4 * i, sizeof v);
    return v;
}

#endif
