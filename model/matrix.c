#include "matrix.h"

#include <cblas.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "parallel.h"
#include "simd_gemm.h"

_Static_assert(sizeof(float) * MATMUL_PANEL_FLOATS >= SIMD_GEMM_PACK_BYTES, "panel room for packing");

static ComputeMode compute_mode;

const char *compute_mode_name(ComputeMode mode) {
    return mode == COMPUTE_BF16 ? "bf16" : "exact";
}

int compute_mode_parse(const char *name, ComputeMode *mode) {
    if (!strcmp(name, "exact"))
        *mode = COMPUTE_EXACT;
    else if (!strcmp(name, "bf16"))
        *mode = COMPUTE_BF16;
    else
        return -1;
    return 0;
}

int matmul_set_compute(ComputeMode mode) {
    if (mode == COMPUTE_BF16 && !simd_gemm_avx512_bf16()) return -1;
    compute_mode = mode;
    return 0;
}

ComputeMode matmul_compute(void) {
    return compute_mode;
}

static int openblas_forced; /* read from SWAN_GEMM once, before any product */

static void read_gemm_choice(void) {
    const char *forced = getenv("SWAN_GEMM");
    openblas_forced = forced && !strcmp(forced, "openblas");
}

static int openblas_is_forced(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, read_gemm_choice); /* worker threads may ask first */
    return openblas_forced;
}

int matmul_force_openblas(int on) {
    int was = openblas_is_forced();
    openblas_forced = on;
    return was;
}

/* The register-tiled kernel for this mode, or NULL for OpenBLAS. The exact
 * one follows the SIMD choice, so SWAN_SIMD=avx2|portable leaves it out. */
static SimdGemm gemm_kernel(const MatmulScratch *s) {
    if (compute_mode == COMPUTE_BF16 && !s->always_exact) return simd_gemm_avx512_bf16();
    return matmul_f32_kernel() ? simd_gemm_avx512() : NULL;
}

SimdGemmF32 matmul_f32_kernel(void) {
    return openblas_is_forced() || strcmp(simd_kernels()->name, "avx512") ? NULL
                                                                          : simd_gemm_f32_avx512();
}

const char *matmul_gemm_name(void) {
    MatmulScratch layers = {0};
    if (!gemm_kernel(&layers)) return "openblas";
    return compute_mode == COMPUTE_BF16 ? "avx512-bf16" : "avx512";
}

int matmul_scratch_init(MatmulScratch *s, int max_cols) {
    s->floats = (size_t)max_cols > MATMUL_PANEL_FLOATS ? (size_t)max_cols : MATMUL_PANEL_FLOATS;
    s->npanels = parallel_workers();
    s->always_exact = 0;
    s->panels = calloc((size_t)s->npanels, sizeof *s->panels);
    int ok = s->panels != NULL;
    for (int i = 0; ok && i < s->npanels; i++)
        ok = (s->panels[i] = malloc(sizeof(float) * s->floats)) != NULL;
    if (ok) return 0;
    matmul_scratch_free(s);
    return -1;
}

void matmul_scratch_free(MatmulScratch *s) {
    for (int i = 0; s->panels && i < s->npanels; i++) free(s->panels[i]);
    free(s->panels);
    s->panels = NULL;
    s->npanels = 0;
}

static size_t dtype_bytes(MatDtype d) {
    return d == MAT_F32 ? 4 : 2;
}

size_t matrix_bytes(const Matrix *m) {
    return (size_t)m->rows * m->cols * dtype_bytes(m->dtype);
}

static const unsigned char *row_ptr(const Matrix *w, int r) {
    return (const unsigned char *)w->data + (size_t)r * w->cols * dtype_bytes(w->dtype);
}

void matrix_row(const Matrix *w, int r, float *dst) {
    simd_kernels()->widen(w->dtype, row_ptr(w, r), dst, (size_t)w->cols);
}

/* Weight rows per item of the few-row product: enough to amortise waking a
 * worker, few enough that every worker gets several. */
#define DOT_ITEM_ROWS 64
/* Below this many weight bytes one thread streams faster than several wake. */
#define DOT_PARALLEL_MIN_BYTES (256 * 1024)

#define DOT_MAX_GROUP 4

/* Items of a group: each product's rows cut into DOT_ITEM_ROWS blocks,
 * numbered one product after another. */
typedef struct {
    const MatmulOut *outs;
    int count;
    int first_item[DOT_MAX_GROUP + 1];
    const float *x;
    int ldx, n;
} DotJob;

static void dot_item(void *ctx, int item, int worker) {
    (void)worker;
    const DotJob *j = ctx;
    int p = 0;
    while (item >= j->first_item[p + 1]) p++;
    const Matrix *w = j->outs[p].w;
    int r0 = (item - j->first_item[p]) * DOT_ITEM_ROWS;
    int r1 = r0 + DOT_ITEM_ROWS < w->rows ? r0 + DOT_ITEM_ROWS : w->rows;
    simd_kernels()->dot_rows(w->dtype, w->data, w->cols, r0, r1, j->x, j->ldx, j->n, j->outs[p].y,
                             j->outs[p].ldy);
}

static void matmul_dot(const MatmulOut *outs, int count, const float *x, int ldx, int n) {
    DotJob job = {outs, count, {0}, x, ldx, n};
    size_t bytes = 0;
    for (int p = 0; p < count; p++) {
        job.first_item[p + 1] = job.first_item[p] +
                                (outs[p].w->rows + DOT_ITEM_ROWS - 1) / DOT_ITEM_ROWS;
        bytes += matrix_bytes(outs[p].w);
    }
    int items = job.first_item[count];
    if (parallel_workers() > 1 && bytes >= DOT_PARALLEL_MIN_BYTES) {
        parallel_for(items, dot_item, &job);
        return;
    }
    for (int i = 0; i < items; i++) dot_item(&job, i, 0);
}

/* Rows [r0, r0 + rows) of W against n rows of x, on one thread: through the
 * register-tiled kernel (which packs its blocks into this worker's panel), or
 * else sgemm: F32 weights straight in, 16-bit ones widened a panel at a time
 * into this worker's panel, which stays in cache while sgemm reads it. */
static void gemm_rows(SimdGemm gemm, float *y, int ldy, const float *x, int ldx, int n, const Matrix *w,
                      int r0, int rows, float *panel, size_t panel_floats) {
    if (gemm) {
        gemm(w->dtype, w->data, w->cols, r0, r0 + rows, x, ldx, n, y, ldy, panel);
        return;
    }
    if (w->dtype == MAT_F32) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, rows, w->cols, 1.0f, x, ldx,
                    (const float *)w->data + (size_t)r0 * w->cols, w->cols, 0.0f, y + r0, ldy);
        return;
    }
    int panel_rows = (int)(panel_floats / (size_t)w->cols);
    for (int p0 = r0; p0 < r0 + rows; p0 += panel_rows) {
        int m = r0 + rows - p0 < panel_rows ? r0 + rows - p0 : panel_rows;
        simd_kernels()->widen(w->dtype, row_ptr(w, p0), panel, (size_t)m * w->cols);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, m, w->cols, 1.0f, x, ldx, panel,
                    w->cols, 0.0f, y + p0, ldy);
    }
}

typedef struct {
    SimdGemm gemm; /* NULL: sgemm */
    const Matrix *w;
    const float *x;
    int ldx, n;
    float *y;
    int ldy, block;
    MatmulScratch *s;
} GemmJob;

static void gemm_item(void *ctx, int item, int worker) {
    const GemmJob *j = ctx;
    int r0 = item * j->block, rows = j->w->rows - r0 < j->block ? j->w->rows - r0 : j->block;
    gemm_rows(j->gemm, j->y, j->ldy, j->x, j->ldx, j->n, j->w, r0, rows, j->s->panels[worker],
              j->s->floats);
}

/* Weight rows per item of a many-row product: a multiple of 16 (sgemm's
 * blocking), about two items per worker so a slow one can be caught up. */
static int gemm_block(int rows, int workers) {
    int block = (rows + 2 * workers - 1) / (2 * workers);
    block = (block + 15) / 16 * 16;
    return block < 64 ? 64 : block;
}

static void matmul_many_rows(float *y, int ldy, const float *x, int ldx, int n, const Matrix *w,
                             MatmulScratch *s) {
    int workers = parallel_workers();
    GemmJob job = {gemm_kernel(s), w, x, ldx, n, y, ldy, gemm_block(w->rows, workers), s};
    int items = (w->rows + job.block - 1) / job.block;
    if (workers > 1 && workers <= s->npanels && items > 1) {
        parallel_for(items, gemm_item, &job);
        return;
    }
    for (int i = 0; i < items; i++) gemm_item(&job, i, 0);
}

void matmul_group(const MatmulOut *outs, int count, const float *x, int ldx, int n, MatmulScratch *s) {
    if (n <= 0) return;
    if (n <= MATMUL_DOT_MAX_ROWS) {
        for (int p = 0; p < count; p += DOT_MAX_GROUP)
            matmul_dot(outs + p, count - p < DOT_MAX_GROUP ? count - p : DOT_MAX_GROUP, x, ldx, n);
        return;
    }
    for (int p = 0; p < count; p++) matmul_many_rows(outs[p].y, outs[p].ldy, x, ldx, n, outs[p].w, s);
}

void matmul(float *y, int ldy, const float *x, int ldx, int n, const Matrix *w, MatmulScratch *s) {
    MatmulOut out = {w, y, ldy};
    matmul_group(&out, 1, x, ldx, n, s);
}
