/* The 16-bit float formats weights and activations travel in, one element
 * at a time, in plain C: little-endian bytes that may be unaligned (they lie
 * in mapped files and frames), BF16 and IEEE F16 to f32, and f32 to BF16. */
#ifndef SWAN_HALF_FLOAT_H
#define SWAN_HALF_FLOAT_H

#include <stdint.h>
#include <string.h>

static inline uint16_t half_load_le16(const unsigned char *p) {
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline float half_bf16_to_f32(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

static inline float half_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
    if (exp == 0) { /* zero or subnormal: mant * 2^-24 is exact in f32 */
        float v = (float)mant * 0x1p-24f;
        return sign ? -v : v;
    }
    if (exp == 31)
        bits = sign | 0x7f800000u | mant << 13; /* inf, nan (payload kept) */
    else
        bits = sign | (exp + 112) << 23 | mant << 13;
    float v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

/* Rounds to nearest, ties to even, as PyTorch's float->bfloat16 does; a NaN
 * stays a (quiet) NaN instead of rounding into infinity. */
static inline uint16_t half_f32_to_bf16(float f) {
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((bits >> 16) | 0x40u);
    bits += 0x7fffu + ((bits >> 16) & 1u);
    return (uint16_t)(bits >> 16);
}

#endif
