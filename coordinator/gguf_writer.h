/* Writing a GGUF file (version 3, llama.cpp's format): metadata key/values,
 * then tensor infos, then the tensors' data, each aligned to GGUF_ALIGN.
 * Little-endian hosts only, as GGUF itself. */
#ifndef SWAN_GGUF_WRITER_H
#define SWAN_GGUF_WRITER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define GGUF_ALIGN 32

enum { GGUF_TYPE_F32 = 0, GGUF_TYPE_BF16 = 30 }; /* ggml tensor types */

typedef struct {
    unsigned char *p;
    size_t n, cap;
    int oom;
} GgufBuf;

typedef struct {
    GgufBuf kv, infos;
    uint64_t n_kv, n_tensors, data_bytes; /* data_bytes: aligned size so far */
} GgufWriter;

void gguf_u32(GgufWriter *g, const char *key, uint32_t v);
void gguf_f32(GgufWriter *g, const char *key, float v);
void gguf_bool(GgufWriter *g, const char *key, int v);
void gguf_str(GgufWriter *g, const char *key, const char *v);
void gguf_bool_array(GgufWriter *g, const char *key, const unsigned char *v, int n);
void gguf_str_array(GgufWriter *g, const char *key, const char *const *v, int n);
void gguf_i32_array(GgufWriter *g, const char *key, const int32_t *v, int n);

/* Declares a tensor of ne[0] x ne[1] (ne[0] innermost; ndim 1 or 2) and
 * returns its data size in bytes. Data must then be written in the same order. */
uint64_t gguf_tensor(GgufWriter *g, const char *name, int ndim, const int64_t *ne, int type);

/* Writes the header, metadata and tensor infos and pads to the data start;
 * -1 when out of memory or on a write error. */
int gguf_write_head(GgufWriter *g, FILE *f);
/* Pads after a tensor's `bytes` of data. */
int gguf_pad(FILE *f, uint64_t bytes);
void gguf_writer_free(GgufWriter *g);

#endif
