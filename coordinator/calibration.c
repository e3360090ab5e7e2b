#include "calibration.h"

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "file_read.h"

int calibration_save(const Calibration *c, const char *path, SwanError *err) {
    FILE *f = fopen(path, "w");
    if (!f) return swan_error_set(err, "calibration: cannot write %s", path);
    fprintf(f,
            "{\"gemm_gflops\":%.4f,\"attention_window_gflops\":%.4f,"
            "\"attention_global_gflops\":%.4f,\"message_seconds\":%.3e,"
            "\"byte_seconds\":%.3e,\"host_byte_seconds\":%.3e,\"context\":%ld,\"chunk\":%ld,"
            "\"threads\":%d",
            c->gemm_gflops, c->attention_window_gflops, c->attention_global_gflops, c->message_seconds,
            c->byte_seconds, c->host_byte_seconds, c->context, c->chunk, c->threads);
    if (c->gemm_by_chunk[0] > 0)
        for (int k = 0; k < CALIBRATION_CHUNKS; k++)
            fprintf(f, "%s%.4f", k ? "," : ",\"gemm_gflops_by_chunk\":[", c->gemm_by_chunk[k]);
    fprintf(f, "%s}\n", c->gemm_by_chunk[0] > 0 ? "]" : "");
    if (fclose(f) != 0) return swan_error_set(err, "calibration: cannot write %s", path);
    return 0;
}

/* A positive number under key, or -1 naming the key. */
static int positive(const cJSON *o, const char *key, double *out, const char *path, SwanError *err) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v) || !(v->valuedouble > 0))
        return swan_error_set(err, "calibration %s: '%s' must be a positive number", path, key);
    *out = v->valuedouble;
    return 0;
}

/* gemm_gflops_by_chunk came later too: absent, the table stays 0. */
static int optional_gemm_table(const cJSON *o, Calibration *c, const char *path, SwanError *err) {
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "gemm_gflops_by_chunk");
    for (int k = 0; k < CALIBRATION_CHUNKS; k++) c->gemm_by_chunk[k] = 0;
    if (!a) return 0;
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != CALIBRATION_CHUNKS)
        return swan_error_set(err, "calibration %s: 'gemm_gflops_by_chunk' must be %d numbers", path,
                              CALIBRATION_CHUNKS);
    for (int k = 0; k < CALIBRATION_CHUNKS; k++) {
        const cJSON *v = cJSON_GetArrayItem(a, k);
        if (!cJSON_IsNumber(v) || !(v->valuedouble > 0))
            return swan_error_set(err, "calibration %s: 'gemm_gflops_by_chunk' must be positive", path);
        c->gemm_by_chunk[k] = v->valuedouble;
    }
    return 0;
}

/* byte_seconds and host_byte_seconds came later: a file without one has
 * none measured (0). */
static int optional_seconds(const cJSON *o, const char *key, double *out, const char *path,
                            SwanError *err) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    *out = 0;
    if (!v) return 0;
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0))
        return swan_error_set(err, "calibration %s: '%s' must be a number >= 0", path, key);
    *out = v->valuedouble;
    return 0;
}

static int read_fields(const cJSON *o, Calibration *c, const char *path, SwanError *err) {
    double context = 0, chunk = 0, threads = 0;
    if (positive(o, "gemm_gflops", &c->gemm_gflops, path, err) ||
        positive(o, "attention_window_gflops", &c->attention_window_gflops, path, err) ||
        positive(o, "attention_global_gflops", &c->attention_global_gflops, path, err) ||
        positive(o, "message_seconds", &c->message_seconds, path, err) ||
        positive(o, "context", &context, path, err) || positive(o, "chunk", &chunk, path, err) ||
        positive(o, "threads", &threads, path, err) ||
        optional_seconds(o, "byte_seconds", &c->byte_seconds, path, err) ||
        optional_seconds(o, "host_byte_seconds", &c->host_byte_seconds, path, err) ||
        optional_gemm_table(o, c, path, err))
        return -1;
    c->context = (long)context;
    c->chunk = (long)chunk;
    c->threads = (int)threads;
    return 0;
}

int calibration_load(Calibration *c, const char *path, SwanError *err) {
    size_t n;
    unsigned char *text;
    if (swan_read_file(path, 1 << 16, &text, &n, err) != 0)
        return swan_error_set(err, "calibration: cannot read %s (run 'swan bench calibrate' first)",
                              path);
    cJSON *o = cJSON_ParseWithLength((const char *)text, n);
    free(text);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return swan_error_set(err, "calibration %s: not a JSON object", path);
    }
    int rc = read_fields(o, c, path, err);
    cJSON_Delete(o);
    return rc;
}

double calibration_gemm_of(const double *by_chunk, long chunk) {
    double x = log2((double)chunk / CALIBRATION_FIRST_CHUNK);
    if (x <= 0) return by_chunk[0];
    if (x >= CALIBRATION_CHUNKS - 1) return by_chunk[CALIBRATION_CHUNKS - 1];
    int k = (int)x;
    double f = x - k;
    return by_chunk[k] * (1 - f) + by_chunk[k + 1] * f;
}

double calibration_gemm_gflops(const Calibration *c, long chunk) {
    return c->gemm_by_chunk[0] > 0 ? calibration_gemm_of(c->gemm_by_chunk, chunk) : c->gemm_gflops;
}

/* How the products' rate falls off with few rows, and a little with many
 * (the rows' activations leave the cache), relative to its best: the shape
 * `swan bench calibrate` measured on an AVX-512 server core at chunks 64 to
 * 2048. Without it every chunk would cost the same and the planner would
 * pick small chunks, which run the products slower than it thinks. */
static const double default_chunk_shape[CALIBRATION_CHUNKS] = {0.83, 0.97, 1.0, 1.0, 0.97, 0.94};

void calibration_defaults(Calibration *c) {
    *c = (Calibration){.gemm_gflops = CALIBRATION_GEMM_GFLOPS,
                       .attention_window_gflops = CALIBRATION_ATTENTION_GFLOPS,
                       .attention_global_gflops = CALIBRATION_ATTENTION_GFLOPS,
                       .message_seconds = CALIBRATION_MESSAGE_SECONDS,
                       .byte_seconds = CALIBRATION_BYTE_SECONDS,
                       .context = 4096,
                       .chunk = 256,
                       .threads = 1};
    for (int k = 0; k < CALIBRATION_CHUNKS; k++)
        c->gemm_by_chunk[k] = CALIBRATION_GEMM_GFLOPS * default_chunk_shape[k];
}

int calibration_find(Calibration *c, const char *path, const char **from, SwanError *err) {
    if (!path && access(CALIBRATION_DEFAULT_FILE, R_OK) == 0) path = CALIBRATION_DEFAULT_FILE;
    *from = path;
    if (path) return calibration_load(c, path, err);
    calibration_defaults(c);
    return 0;
}
