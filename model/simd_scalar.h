/* One element of a weight row as f32, in plain C: the portable kernels'
 * whole work and the vector kernels' tails. Rows are little-endian and may
 * be unaligned (they lie in a mapped file), so bytes are read, not words. */
#ifndef SWAN_SIMD_SCALAR_H
#define SWAN_SIMD_SCALAR_H

#include <stdint.h>
#include <string.h>

#include "simd.h"

static inline uint16_t simd_load16(const unsigned char *p) {
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline float simd_bf16_value(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

static inline float simd_f16_value(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
    if (exp == 0) { /* zero or subnormal: mant * 2^-24 */
        float v = (float)mant * 0x1p-24f;
        return sign ? -v : v;
    }
    if (exp == 31)
        bits = sign | 0x7f800000u | mant << 13;
    else
        bits = sign | (exp + 112) << 23 | mant << 13;
    float v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

static inline float simd_element(MatDtype dtype, const unsigned char *p, size_t i) {
    if (dtype == MAT_BF16) return simd_bf16_value(simd_load16(p + 2 * i));
    if (dtype == MAT_F16) return simd_f16_value(simd_load16(p + 2 * i));
    float v;
    memcpy(&v, p + 4 * i, sizeof v);
    return v;
}

#endif
