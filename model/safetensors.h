/* Memory-mapped safetensors: one file, or shards listed by
 * model.safetensors.index.json. Shards are opened and validated lazily,
 * when a tensor in them is first asked for, so a pipeline stage maps only
 * the files that hold its own layers. */
#ifndef SWAN_SAFETENSORS_H
#define SWAN_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef enum { ST_F32 = 0, ST_F16 = 1, ST_BF16 = 2, ST_OTHER = 3 } StDtype;

#define ST_MAX_DIMS 8

typedef struct {
    const char *name; /* owned by the SafeTensors set */
    const char *file; /* path of the file holding it */
    StDtype dtype;
    const char *dtype_name; /* as written in the header, e.g. "BF16" */
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    const void *data; /* inside the mapping; not necessarily aligned */
    size_t nbytes;
} StTensor;

typedef struct SafeTensors SafeTensors;

/* Opens DIR/model.safetensors.index.json if present, else DIR/model.safetensors. */
int st_open_dir(const char *dir, SafeTensors **out, SwanError *err);

/* Finds a tensor by name, mapping and validating its file on first use.
 * Returns 0 and sets *out; -1 with err set when the file is bad or the
 * tensor is missing (the message names the file and the tensor). */
int st_get(SafeTensors *st, const char *name, const StTensor **out, SwanError *err);

/* 1 if the set lists a tensor of that name (without mapping its file). */
int st_has(const SafeTensors *st, const char *name);

/* Converts n elements of a F32/F16/BF16 tensor to f32 in dst. */
void st_to_f32(const StTensor *t, float *dst, size_t n);

/* Bytes of files currently mapped (a stage maps only its own shards). */
size_t st_mapped_bytes(const SafeTensors *st);

void st_close(SafeTensors *st);

#endif
