/* The weight kernels against plain C written here, independently of the
 * portable implementation: every implementation this CPU can run (portable
 * always), F32, F16 and BF16, on shapes that are not multiples of any
 * vector width, single rows, tails, unaligned 16-bit rows, and row strides
 * wider than the rows. matmul is checked on both of its paths (dot products
 * for few rows, widened panels and sgemm for many). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "matrix.h"
#include "simd.h"
#include "simd_gemm.h"

/* ---- reference conversions, from the formats' definitions ---- */

static float ref_bf16(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

static float ref_f16(uint16_t h) {
    int sign = h >> 15, exp = (h >> 10) & 31, mant = h & 1023;
    float v;
    if (exp == 0)
        v = ldexpf((float)mant, -24);
    else if (exp == 31)
        v = mant ? NAN : INFINITY;
    else
        v = ldexpf((float)(mant + 1024), exp - 25);
    return sign ? -v : v;
}

static size_t width_of(MatDtype d) {
    return d == MAT_F32 ? 4 : 2;
}

static float ref_value(MatDtype d, const unsigned char *p, size_t i) {
    if (d == MAT_F32) {
        float v;
        memcpy(&v, p + 4 * i, 4);
        return v;
    }
    uint16_t h = (uint16_t)(p[2 * i] | p[2 * i + 1] << 8);
    return d == MAT_BF16 ? ref_bf16(h) : ref_f16(h);
}

/* ---- test data ---- */

static uint64_t rng = 88172645463325252ull;
static uint32_t next_u32(void) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}
static float next_float(void) {
    return (float)(next_u32() % 20001) / 10000.0f - 1.0f;
}

/* Finite values of about unit size in the dtype's encoding, at data + offset. */
static unsigned char *random_weights(MatDtype d, size_t count, size_t offset) {
    unsigned char *buf = malloc(count * width_of(d) + offset + 64);
    unsigned char *p = buf + offset;
    for (size_t i = 0; i < count; i++) {
        float v = next_float();
        if (d == MAT_F32) {
            memcpy(p + 4 * i, &v, 4);
        } else if (d == MAT_BF16) {
            uint32_t bits;
            memcpy(&bits, &v, 4);
            p[2 * i] = (unsigned char)(bits >> 16), p[2 * i + 1] = (unsigned char)(bits >> 24);
        } else { /* F16: sign, exponent 13..16 (0.0078 .. 2), random mantissa */
            uint16_t h = (uint16_t)((next_u32() & 1) << 15 | (13 + next_u32() % 4) << 10 |
                                    (next_u32() & 1023));
            p[2 * i] = (unsigned char)h, p[2 * i + 1] = (unsigned char)(h >> 8);
        }
    }
    return buf;
}

static const char *dtype_name(MatDtype d) {
    return d == MAT_F32 ? "F32" : d == MAT_F16 ? "F16" : "BF16";
}

/* ---- widening ---- */

static void test_widen_special_values(const SimdKernels *k) {
    const uint16_t f16[] = {0x0000, 0x8000, 0x0001, 0x03ff, 0x0400, 0x3c00,
                            0xc000, 0x7bff, 0x7c00, 0xfc00, 0x7e00};
    const uint16_t bf16[] = {0x0000, 0x8000, 0x0001, 0x3f80, 0xc000, 0x7f7f, 0x7f80, 0xff80, 0x7fc0};
    unsigned char raw[2 * 11 + 1];
    float got[11];
    for (size_t i = 0; i < 11; i++)
        raw[1 + 2 * i] = (unsigned char)f16[i], raw[2 + 2 * i] = (unsigned char)(f16[i] >> 8);
    k->widen(MAT_F16, raw + 1, got, 11); /* odd address: rows in a file need not be aligned */
    for (size_t i = 0; i < 11; i++) {
        float want = ref_f16(f16[i]);
        CHECK(isnan(want) ? isnan(got[i]) : got[i] == want && signbit(got[i]) == signbit(want),
              "%s: f16 %#06x widened to %g, want %g", k->name, f16[i], got[i], want);
    }
    for (size_t i = 0; i < 9; i++)
        raw[1 + 2 * i] = (unsigned char)bf16[i], raw[2 + 2 * i] = (unsigned char)(bf16[i] >> 8);
    k->widen(MAT_BF16, raw + 1, got, 9);
    for (size_t i = 0; i < 9; i++) {
        float want = ref_bf16(bf16[i]);
        CHECK(isnan(want) ? isnan(got[i]) : got[i] == want && signbit(got[i]) == signbit(want),
              "%s: bf16 %#06x widened to %g, want %g", k->name, bf16[i], got[i], want);
    }
}

static void test_widen_lengths(const SimdKernels *k, MatDtype d) {
    const size_t counts[] = {1, 7, 8, 15, 16, 17, 33, 100};
    for (size_t c = 0; c < sizeof counts / sizeof *counts; c++) {
        size_t n = counts[c];
        unsigned char *buf = random_weights(d, n, d == MAT_F32 ? 0 : 2);
        const unsigned char *p = buf + (d == MAT_F32 ? 0 : 2);
        float got[101];
        got[n] = 12345.0f; /* must not be written */
        k->widen(d, p, got, n);
        int same = got[n] == 12345.0f;
        for (size_t i = 0; i < n; i++) same &= got[i] == ref_value(d, p, i);
        CHECK(same, "%s: widen %s of %zu values", k->name, dtype_name(d), n);
        free(buf);
    }
}

/* ---- dot products ---- */

/* max |got - want| / (sum |x w| + tiny) over the outputs */
static double dot_error(MatDtype d, const unsigned char *w, int rows, int cols, const float *x, int ldx,
                        int n, const float *y, int ldy, int col0) {
    double worst = 0.0;
    for (int j = 0; j < n; j++)
        for (int r = 0; r < rows; r++) {
            double want = 0.0, scale = 1e-30;
            for (int c = 0; c < cols; c++) {
                double term = (double)x[(size_t)j * ldx + c] * ref_value(d, w, (size_t)r * cols + c);
                want += term;
                scale += fabs(term);
            }
            double e = fabs(y[(size_t)j * ldy + col0 + r] - want) / scale;
            worst = e > worst ? e : worst;
        }
    return worst;
}

static float *random_rows(int n, int ld) {
    float *x = malloc(sizeof(float) * (size_t)n * ld);
    for (size_t i = 0; i < (size_t)n * ld; i++) x[i] = next_float();
    return x;
}

static void test_dot_rows(const SimdKernels *k, MatDtype d) {
    const int cols_list[] = {1, 5, 15, 16, 17, 31, 33, 100, 773};
    const int rows_list[] = {1, 3, 4, 5, 9, 67};
    for (size_t ci = 0; ci < sizeof cols_list / sizeof *cols_list; ci++)
        for (size_t ri = 0; ri < sizeof rows_list / sizeof *rows_list; ri++)
            for (int n = 1; n <= 4; n++) {
                int cols = cols_list[ci], rows = rows_list[ri], ldx = cols + 3, ldy = rows + 5;
                size_t offset = d == MAT_F32 ? 0 : 2;
                unsigned char *buf = random_weights(d, (size_t)rows * cols, offset);
                float *x = random_rows(n, ldx), *y = malloc(sizeof(float) * (size_t)n * ldy);
                for (int i = 0; i < n * ldy; i++) y[i] = 777.0f;
                /* rows [1, rows) only when there are several: r0 > 0 must work too */
                int r0 = rows > 1 ? 1 : 0;
                k->dot_rows(d, buf + offset, cols, r0, rows, x, ldx, n, y, ldy);
                int untouched = 1;
                for (int j = 0; j < n; j++) {
                    untouched &= y[(size_t)j * ldy + rows] == 777.0f;
                    if (r0) untouched &= y[(size_t)j * ldy] == 777.0f;
                }
                const unsigned char *w = buf + offset + (size_t)r0 * cols * width_of(d);
                double err = dot_error(d, w, rows - r0, cols, x, ldx, n, y, ldy, r0);
                CHECK(err < 1e-5 && untouched,
                      "%s: %s dot rows %d..%d x %d cols, %d x rows: rel error %.2e%s", k->name,
                      dtype_name(d), r0, rows, cols, n, err, untouched ? "" : ", wrote outside");
                free(buf), free(x), free(y);
            }
}

/* ---- softmax exponentials ---- */

static void test_exp_sum(const SimdKernels *k) {
    const int lengths[] = {1, 15, 16, 17, 100, 256};
    for (size_t li = 0; li < sizeof lengths / sizeof *lengths; li++) {
        int n = lengths[li];
        float s[256], in[256];
        for (int i = 0; i < n; i++) in[i] = s[i] = next_float() * 40.0f - 30.0f; /* -70 .. 10 */
        if (n > 3) s[1] = in[1] = -INFINITY, s[2] = in[2] = -200.0f; /* masked, underflowing */
        float shift = 3.5f, sum = k->exp_sum(s, n, shift);
        double want_sum = 0.0, worst = 0.0;
        for (int i = 0; i < n; i++) {
            double want = exp((double)(float)(in[i] - shift)); /* the kernel subtracts in f32 too */
            want_sum += want;
            double e = want > 1e-30 ? fabs(s[i] - want) / want : fabs(s[i] - want);
            worst = e > worst ? e : worst;
        }
        int zeros = n <= 3 || (s[1] == 0.0f && s[2] == 0.0f);
        CHECK(worst < 4e-7 && fabs(sum - want_sum) <= 1e-6 * want_sum && zeros,
              "%s: exp of %d scores: rel error %.2e, sum %.9g vs %.9g%s", k->name, n, worst, sum,
              want_sum, zeros ? "" : ", exp(-inf) not 0");
    }
}

/* ---- SwiGLU's gate: silu(g) * u, over tails and far past exp's range ---- */

static void test_silu_mul(const SimdKernels *k) {
    const int lengths[] = {1, 15, 16, 17, 100};
    for (size_t li = 0; li < sizeof lengths / sizeof *lengths; li++) {
        int n = lengths[li];
        float g[101], u[101], out[102];
        for (int i = 0; i < n; i++) g[i] = next_float() * 12.0f, u[i] = next_float();
        if (n > 3) g[0] = 100.0f, g[1] = -100.0f, g[2] = -1e-8f; /* saturated and tiny */
        out[n] = 12345.0f;
        k->silu_mul(g, u, out, n);
        double worst = 0.0;
        for (int i = 0; i < n; i++) {
            double want = (double)g[i] / (1.0 + exp(-(double)g[i])) * u[i];
            double e = fabs(out[i] - want) / (fabs(want) + 1e-30);
            worst = e > worst ? e : worst;
        }
        CHECK(worst < 1e-6 && out[n] == 12345.0f, "%s: silu_mul of %d: rel error %.2e%s", k->name, n,
              worst, out[n] == 12345.0f ? "" : ", wrote past the end");
    }
}

/* ---- register-tiled GEMM: blocks of every operand cut mid-way ---- */

/* v rounded to bf16, nearest even (no NaNs in the test data) */
static float ref_round_bf16(float v) {
    uint32_t bits;
    memcpy(&bits, &v, 4);
    bits = (bits + 0x7fff + (bits >> 16 & 1)) & 0xffff0000u;
    memcpy(&v, &bits, 4);
    return v;
}

/* max |got - want| / (sum |x w| + tiny), the operands rounded as the kernel
 * rounds them; outputs outside [r0, r1) must keep their 777 */
static double gemm_error(MatDtype d, const unsigned char *w, int cols, int r0, int r1, const float *x,
                         int ldx, int n, const float *y, int ldy, int bf16, int *untouched) {
    double worst = 0.0;
    for (int j = 0; j < n; j++)
        for (int r = 0; r < ldy; r++) {
            if (r < r0 || r >= r1) {
                *untouched &= y[(size_t)j * ldy + r] == 777.0f;
                continue;
            }
            double want = 0.0, scale = 1e-30;
            for (int c = 0; c < cols; c++) {
                float a = x[(size_t)j * ldx + c], b = ref_value(d, w, (size_t)r * cols + c);
                if (bf16) a = ref_round_bf16(a), b = ref_round_bf16(b);
                want += (double)a * b;
                scale += fabs((double)a * b);
            }
            double e = fabs(y[(size_t)j * ldy + r] - want) / scale;
            worst = e > worst ? e : worst;
        }
    return worst;
}

static void test_gemm(SimdGemm gemm, const char *name, int bf16) {
    const int shapes[][2] = {{1, 1}, {33, 17}, {70, 256}, {300, 257}, {40, 513}};
    const int n_list[] = {1, 5, 13, 145};
    void *pack = malloc(SIMD_GEMM_PACK_BYTES);
    for (size_t si = 0; si < sizeof shapes / sizeof *shapes; si++)
        for (size_t ni = 0; ni < sizeof n_list / sizeof *n_list; ni++)
            for (MatDtype d = MAT_F32; d <= MAT_BF16; d++) {
                int rows = shapes[si][0], cols = shapes[si][1], n = n_list[ni];
                int ldx = cols + 3, ldy = rows + 2, r0 = rows > 2 ? 2 : 0, r1 = rows - (rows > 40);
                size_t offset = d == MAT_F32 ? 0 : 2;
                unsigned char *buf = random_weights(d, (size_t)rows * cols, offset);
                float *x = random_rows(n, ldx), *y = malloc(sizeof(float) * (size_t)n * ldy);
                for (int i = 0; i < n * ldy; i++) y[i] = 777.0f;
                gemm(d, buf + offset, cols, r0, r1, x, ldx, n, y, ldy, pack);
                int untouched = 1;
                double err = gemm_error(d, buf + offset, cols, r0, r1, x, ldx, n, y, ldy, bf16,
                                        &untouched);
                CHECK(err < 1e-5 && untouched,
                      "gemm %s: %s rows %d..%d x %d cols, %d x rows: rel error %.2e%s", name,
                      dtype_name(d), r0, r1, cols, n, err, untouched ? "" : ", wrote outside");
                free(buf), free(x), free(y);
            }
    free(pack);
}

/* attention's products: B by rows or by k, strides wider than the rows,
 * added to what C holds or written over it */
static void test_gemm_strided(SimdGemmF32 gemm) {
    const int shapes[][3] = {{1, 1, 1}, {7, 33, 64}, {130, 256, 64}, {128, 64, 256}, {150, 45, 300}};
    void *pack = malloc(SIMD_GEMM_PACK_BYTES);
    for (size_t si = 0; si < sizeof shapes / sizeof *shapes; si++)
        for (int by_k = 0; by_k <= 1; by_k++)
            for (int acc = 0; acc <= 1; acc++) {
                int m = shapes[si][0], n = shapes[si][1], k = shapes[si][2];
                int lda = k + 5, ldb = (by_k ? n : k) + 3, ldc = n + 4;
                float *a = random_rows(m, lda), *b = random_rows(by_k ? k : n, ldb);
                float *c = random_rows(m, ldc), *c0 = malloc(sizeof(float) * (size_t)m * ldc);
                memcpy(c0, c, sizeof(float) * (size_t)m * ldc);
                gemm(&(GemmF32){a, lda, b, ldb, by_k, c, ldc, m, n, k, acc}, pack);
                double worst = 0.0;
                int untouched = 1;
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < ldc; j++) {
                        size_t at = (size_t)i * ldc + j;
                        if (j >= n) {
                            untouched &= c[at] == c0[at];
                            continue;
                        }
                        double want = acc ? c0[at] : 0.0, scale = 1e-30 + fabs(want);
                        for (int t = 0; t < k; t++) {
                            double term = (double)a[(size_t)i * lda + t] *
                                          b[by_k ? (size_t)t * ldb + j : (size_t)j * ldb + t];
                            want += term;
                            scale += fabs(term);
                        }
                        double e = fabs(c[at] - want) / scale;
                        worst = e > worst ? e : worst;
                    }
                CHECK(worst < 1e-5 && untouched, "strided gemm %dx%dx%d, B by %s, %s: rel error %.2e%s",
                      m, n, k, by_k ? "k" : "rows", acc ? "added" : "written", worst,
                      untouched ? "" : ", wrote outside");
                free(a), free(b), free(c), free(c0);
            }
    free(pack);
}

/* ---- matmul: both paths, side by side in a wide output ---- */

static void test_matmul(MatDtype d) {
    const int n_list[] = {1, 4, 5, 37, 150};
    const int shapes[][2] = {{70, 33}, {256, 768}, {300, 1100}};
    MatmulScratch s;
    CHECK(matmul_scratch_init(&s, 1100) == 0, "scratch");
    for (size_t si = 0; si < sizeof shapes / sizeof *shapes; si++)
        for (size_t ni = 0; ni < sizeof n_list / sizeof *n_list; ni++) {
            int rows = shapes[si][0], cols = shapes[si][1], n = n_list[ni], col0 = 3, ldy = rows + 7;
            unsigned char *buf = random_weights(d, (size_t)rows * cols, 0);
            Matrix m = {d, buf, rows, cols};
            float *x = random_rows(n, cols), *y = malloc(sizeof(float) * (size_t)n * ldy);
            for (int i = 0; i < n * ldy; i++) y[i] = 777.0f;
            matmul(y + col0, ldy, x, cols, n, &m, &s);
            int untouched = 1;
            for (int j = 0; j < n; j++)
                for (int c = 0; c < ldy; c++)
                    if (c < col0 || c >= col0 + rows) untouched &= y[(size_t)j * ldy + c] == 777.0f;
            double err = dot_error(d, buf, rows, cols, x, cols, n, y, ldy, col0);
            CHECK(err < 1e-5 && untouched, "matmul %s %dx%d, %d rows (%s path): rel error %.2e%s",
                  dtype_name(d), rows, cols, n, n <= MATMUL_DOT_MAX_ROWS ? "dot" : "panel", err,
                  untouched ? "" : ", wrote outside");
            free(buf), free(x), free(y);
        }
    matmul_scratch_free(&s);
}

int main(void) {
    const char *names[] = {"portable", "avx2", "avx512"};
    int ran = 0;
    for (size_t i = 0; i < 3; i++) {
        const SimdKernels *k = simd_kernels_named(names[i]);
        if (!k) {
            printf("%s: not available on this CPU or build\n", names[i]);
            continue;
        }
        ran++;
        test_widen_special_values(k);
        test_exp_sum(k);
        test_silu_mul(k);
        for (MatDtype d = MAT_F32; d <= MAT_BF16; d++) {
            test_widen_lengths(k, d);
            test_dot_rows(k, d);
        }
    }
    CHECK(ran >= 1 && simd_kernels_named("portable"), "the portable kernels always run");
    SimdGemm gemm = simd_gemm_avx512(), gemm_bf16 = simd_gemm_avx512_bf16();
    if (gemm) test_gemm(gemm, "avx512", 0);
    if (gemm_bf16) test_gemm(gemm_bf16, "avx512-bf16", 1);
    if (simd_gemm_f32_avx512()) test_gemm_strided(simd_gemm_f32_avx512());
    printf("register-tiled GEMM: exact %s, bf16 %s\n", gemm ? "tested" : "not available",
           gemm_bf16 ? "tested" : "not available");
    printf("kernels in force: %s, many-row products by %s\n", simd_kernels()->name, matmul_gemm_name());
    for (MatDtype d = MAT_F32; d <= MAT_BF16; d++) test_matmul(d);
    return check_summary();
}
