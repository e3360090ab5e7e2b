/* Many-row products (prefill) on AVX-512, on one thread: Y = X W^T for a
 * range of weight rows, blocked the way BLAS libraries block a GEMM. A block
 * of weight rows is packed (transposed, widened to f32 or rounded to bf16)
 * into panels NR rows wide that stay in L2; a block of activation rows is
 * copied at a fixed stride, so the register kernel's operand addresses are
 * constants; the kernel keeps an MR x NR tile of Y in 24 registers while it
 * walks the shared dimension, MR activation rows against one panel.
 *
 * Exact mode multiplies and adds in f32 with FMA (the order of the sums
 * differs from sgemm's, as between any two BLAS libraries). The bf16 mode
 * rounds activations and weights to bf16 (nearest even) and lets vdpbf16ps
 * add pairs of products into f32 sums: twice the products per instruction. */
#include "simd_gemm.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <stdint.h>

#include "avx512_kernels.h"

#define NC 512      /* weight rows per packed block (a multiple of NR) */
#define MC 144      /* activation rows per packed block (a multiple of MR) */
#define KC_F32 256  /* shared-dimension steps per packed block, exact */
#define KC_BF16 512 /* the same in bf16: as many bytes */
/* Row stride of packed activations, in 32-bit words: a little more than a
 * block, so that rows a power of two apart do not share cache sets. */
#define A_STRIDE (KC_F32 + 16)

_Static_assert(SIMD_GEMM_PACK_BYTES >= 4 * ((size_t)KC_F32 * NC + (size_t)MC * A_STRIDE), "pack room");
_Static_assert(KC_BF16 / 2 == KC_F32, "bf16 blocks hold as many words as f32 ones");

typedef void (*Widen)(MatDtype dtype, const void *src, float *dst, size_t count);

static size_t dtype_bytes(MatDtype d) {
    return d == MAT_F32 ? 4 : 2;
}

static int min_int(int a, int b) {
    return a < b ? a : b;
}

/* One product Y (+)= X W^T: its operands and where its tiles go. */
typedef struct {
    MatDtype dtype;
    const unsigned char *w; /* W [outputs][cols], rows ldw elements apart */
    int ldw;
    int w_by_k; /* W is stored transposed, [cols][outputs] (F32 only) */
    int cols;   /* the shared dimension */
    const float *x;
    int ldx;
    float *y;
    int ldy;
    int accumulate; /* add to Y instead of overwriting it */
} GemmArgs;

static const unsigned char *weight_row(const GemmArgs *g, int r) {
    return g->w + (size_t)r * g->ldw * dtype_bytes(g->dtype);
}

/* ---- exact: f32 panels, FMA ------------------------------------------- */

/* Weight rows [n0, n0 + nb) x columns [k0, k0 + kb) into panels of NR rows:
 * panel p holds, for each k, the NR weights of its rows (zeros past nb),
 * transposed 16 x 16 at a time in registers. */
TARGET static void pack_weights_f32(const GemmArgs *g, int n0, int nb, int k0, int kb, float *dst) {
    if (g->w_by_k) { /* already k-major: rows of NR outputs are copied */
        const float *w = (const float *)(const void *)g->w;
        for (int p = 0; p < nb; p += NR) {
            float *panel = dst + (size_t)p * kb;
            for (int k = 0; k < kb; k++) {
                const float *src = w + (size_t)(k0 + k) * g->ldw + n0 + p;
                _mm512_storeu_ps(panel + (size_t)k * NR, _mm512_maskz_loadu_ps(mask16(nb - p), src));
                _mm512_storeu_ps(panel + (size_t)k * NR + 16,
                                 _mm512_maskz_loadu_ps(mask16(nb - p - 16), src + 16));
            }
        }
        return;
    }
    for (int p = 0; p < (nb + NR - 1) / NR * NR; p += 16) {
        float *panel = dst + (size_t)(p / NR) * NR * kb + p % NR;
        for (int k = 0; k < kb; k += 16) {
            __m512i r[16];
            for (int i = 0; i < 16; i++)
                r[i] = p + i < nb ? _mm512_castps_si512(
                                        load16_f32(g->dtype, weight_row(g, n0 + p + i), k0 + k, kb - k))
                                  : _mm512_setzero_si512();
            transpose16(r);
            for (int j = 0; j < 16 && k + j < kb; j++)
                _mm512_storeu_si512(panel + (size_t)(k + j) * NR, r[j]);
        }
    }
}

/* Activation rows [m0, m0 + mb) x [k0, k0 + kb) copied A_STRIDE apart;
 * rows up to the next multiple of MR zeroed. */
TARGET static void pack_rows_f32(const GemmArgs *g, int m0, int mb, int k0, int kb, float *dst) {
    for (int i = 0; i < (mb + MR - 1) / MR * MR; i++)
        for (int k = 0; k < kb; k += 16) {
            __mmask16 m = mask16(kb - k);
            __m512 v = i < mb ? _mm512_maskz_loadu_ps(m, g->x + (size_t)(m0 + i) * g->ldx + k0 + k)
                              : _mm512_setzero_ps();
            _mm512_mask_storeu_ps(dst + (size_t)i * A_STRIDE + k, m, v);
        }
}

/* Outputs [r0, r1) of n rows of x, blocked: weights packed once per block
 * of NC outputs x KC_F32 columns, activations once per block of MC rows. */
TARGET static void gemm_f32_blocks(const GemmArgs *g, int r0, int r1, int n, void *pack) {
    float *bpack = pack, *apack = bpack + (size_t)KC_F32 * NC;
    for (int n0 = r0; n0 < r1; n0 += NC) {
        int nb = min_int(NC, r1 - n0);
        for (int k0 = 0; k0 < g->cols; k0 += KC_F32) {
            int kb = min_int(KC_F32, g->cols - k0);
            pack_weights_f32(g, n0, nb, k0, kb, bpack);
            for (int m0 = 0; m0 < n; m0 += MC) {
                int mb = min_int(MC, n - m0);
                pack_rows_f32(g, m0, mb, k0, kb, apack);
                for (int p = 0; p < nb; p += NR)
                    for (int q = 0; q < mb; q += MR)
                        tile_f32(kb, apack + (size_t)q * A_STRIDE, A_STRIDE, 1, bpack + (size_t)p * kb,
                                 NR, g->y + (size_t)(m0 + q) * g->ldy + n0 + p, g->ldy,
                                 min_int(MR, mb - q), nb - p, k0 > 0 || g->accumulate);
            }
        }
    }
}

static void gemm_avx512_f32(MatDtype d, const void *w, int cols, int r0, int r1, const float *x,
                            int ldx, int n, float *y, int ldy, void *pack) {
    GemmArgs g = {d, w, cols, 0, cols, x, ldx, y, ldy, 0};
    gemm_f32_blocks(&g, r0, r1, n, pack);
}

static void gemm_f32_strided(const GemmF32 *p, void *pack) {
    GemmArgs g = {MAT_F32, (const void *)p->b, p->ldb, p->b_by_k, p->k, p->a, p->lda, p->c,
                  p->ldc,  p->accumulate};
    gemm_f32_blocks(&g, 0, p->n, p->m, pack);
}

/* ---- fast: bf16 pairs, vdpbf16ps ----------------------------------------- */

/* As pack_weights_f32, but each panel holds, for each pair of k, the NR
 * weights' two bf16 values side by side (the operand layout of vdpbf16ps):
 * 32-bit words, transposed like f32 ones. */
TARGET_BF16 static void pack_weights_bf16(const GemmArgs *g, int n0, int nb, int k0, int kb,
                                          uint32_t *dst) {
    int kp = (kb + 1) / 2;
    for (int p = 0; p < (nb + NR - 1) / NR * NR; p += 16) {
        uint32_t *panel = dst + (size_t)(p / NR) * NR * kp + p % NR;
        for (int k = 0; k < kb; k += 32) {
            __m512i r[16];
            for (int i = 0; i < 16; i++)
                r[i] = p + i < nb ? load32_bf16(g->dtype, weight_row(g, n0 + p + i), k0 + k, kb - k)
                                  : _mm512_setzero_si512();
            transpose16(r);
            for (int j = 0; j < 16 && k / 2 + j < kp; j++)
                _mm512_storeu_si512(panel + (size_t)(k / 2 + j) * NR, r[j]);
        }
    }
}

/* Activation rows as pairs of bf16, A_STRIDE words apart; rows up to the
 * next multiple of MR zeroed. */
TARGET_BF16 static void pack_rows_bf16(const GemmArgs *g, int m0, int mb, int k0, int kb,
                                       uint32_t *dst) {
    int kp = (kb + 1) / 2;
    for (int i = 0; i < (mb + MR - 1) / MR * MR; i++) {
        const unsigned char *xi = (const unsigned char *)(g->x + (size_t)(m0 + i) * g->ldx + k0);
        for (int k = 0; k < kb; k += 32) {
            __m512i v = i < mb ? load32_bf16(MAT_F32, xi, k, kb - k) : _mm512_setzero_si512();
            _mm512_mask_storeu_epi32(dst + (size_t)i * A_STRIDE + k / 2, mask16(kp - k / 2), v);
        }
    }
}

TARGET_BF16 static void gemm_avx512_bf16(MatDtype d, const void *w, int cols, int r0, int r1,
                                         const float *x, int ldx, int n, float *y, int ldy,
                                         void *pack) {
    GemmArgs g = {d, w, cols, 0, cols, x, ldx, y, ldy, 0};
    uint32_t *bpack = pack, *apack = bpack + (size_t)KC_BF16 / 2 * NC;
    for (int n0 = r0; n0 < r1; n0 += NC) {
        int nb = min_int(NC, r1 - n0);
        for (int k0 = 0; k0 < cols; k0 += KC_BF16) {
            int kb = min_int(KC_BF16, cols - k0), kp = (kb + 1) / 2;
            pack_weights_bf16(&g, n0, nb, k0, kb, bpack);
            for (int m0 = 0; m0 < n; m0 += MC) {
                int mb = min_int(MC, n - m0);
                pack_rows_bf16(&g, m0, mb, k0, kb, apack);
                for (int p = 0; p < nb; p += NR)
                    for (int q = 0; q < mb; q += MR)
                        tile_bf16(kp, apack + (size_t)q * A_STRIDE, A_STRIDE, 1, bpack + (size_t)p * kp,
                                  NR, y + (size_t)(m0 + q) * ldy + n0 + p, ldy, min_int(MR, mb - q),
                                  nb - p, k0 > 0);
            }
        }
    }
}

/* AVX512-BF16 is CPUID leaf 7, sub-leaf 1, EAX bit 5 (asked directly:
 * compilers differ in which feature names __builtin_cpu_supports knows). */
static int cpu_has_avx512_bf16(void) {
    unsigned a, b, c, d;
    return __get_cpuid_count(7, 1, &a, &b, &c, &d) && (a >> 5 & 1);
}

SimdGemm simd_gemm_avx512(void) {
    return simd_avx512() ? gemm_avx512_f32 : NULL;
}

SimdGemm simd_gemm_avx512_bf16(void) {
    return simd_avx512() && cpu_has_avx512_bf16() ? gemm_avx512_bf16 : NULL;
}

SimdGemmF32 simd_gemm_f32_avx512(void) {
    return simd_avx512() ? gemm_f32_strided : NULL;
}

#else

SimdGemm simd_gemm_avx512(void) {
    return NULL;
}

SimdGemm simd_gemm_avx512_bf16(void) {
    return NULL;
}

SimdGemmF32 simd_gemm_f32_avx512(void) {
    return NULL;
}

#endif
