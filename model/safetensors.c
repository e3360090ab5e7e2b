/* Safetensors reader. A file is trusted only after its whole header has
 * been checked against the file size, so a tensor handed out always lies
 * inside its mapping and never overlaps another. */
#include "safetensors.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "half_float.h"

#define ST_INDEX_NAME "model.safetensors.index.json"
#define ST_SINGLE_NAME "model.safetensors"
#define ST_MAX_HEADER (100u << 20)            /* the format's own limit */
#define JSON_MAX_EXACT_INT 9007199254740992.0 /* 2^53 */

typedef struct {
    const char *name;
    StDtype dtype;
    int bits; /* per element; sub-byte types exist (F4, F6_*) */
} DtypeInfo;

static const DtypeInfo DTYPES[] = {
    {"F64", ST_OTHER, 64}, {"F32", ST_F32, 32},      {"F16", ST_F16, 16},      {"BF16", ST_BF16, 16},
    {"I64", ST_OTHER, 64}, {"I32", ST_OTHER, 32},    {"I16", ST_OTHER, 16},    {"I8", ST_OTHER, 8},
    {"U64", ST_OTHER, 64}, {"U32", ST_OTHER, 32},    {"U16", ST_OTHER, 16},    {"U8", ST_OTHER, 8},
    {"BOOL", ST_OTHER, 8}, {"F8_E4M3", ST_OTHER, 8}, {"F8_E5M2", ST_OTHER, 8}, {"F8_E8M0", ST_OTHER, 8},
    {"C64", ST_OTHER, 64}, {"F6_E2M3", ST_OTHER, 6}, {"F6_E3M2", ST_OTHER, 6}, {"F4", ST_OTHER, 4},
};

typedef enum { FILE_UNOPENED = 0, FILE_READY, FILE_FAILED } FileState;

typedef struct {
    char *path;
    FileState state;
    char *failure; /* the first error, repeated to every later caller */
    void *map;
    size_t map_len;
    StTensor *tensors; /* sorted by name */
    int n_tensors;
} StFile;

/* Index entry: which file holds a tensor. */
typedef struct {
    char *name;
    int file;
} StEntry;

struct SafeTensors {
    char *index_path; /* NULL for a single file */
    StFile *files;
    int n_files;
    StEntry *entries; /* sorted by name; index mode only */
    int n_entries;
};

/* ---- small helpers ---------------------------------------------------- */

static char *join_path(const char *dir, const char *name) {
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') n--; /* "d/" and "d" name the same files */
    char *path = malloc(n + 1 + strlen(name) + 1);
    if (path) sprintf(path, "%.*s/%s", (int)n, dir, name);
    return path;
}

static int oom(SwanError *err, const char *path) {
    return swan_error_set(err, "%s: out of memory", path);
}

static int cmp_tensor_name(const void *a, const void *b) {
    return strcmp(((const StTensor *)a)->name, ((const StTensor *)b)->name);
}

static int cmp_entry_name(const void *a, const void *b) {
    return strcmp(((const StEntry *)a)->name, ((const StEntry *)b)->name);
}

static int cmp_tensor_begin(const void *a, const void *b) {
    const StTensor *x = *(const StTensor *const *)a, *y = *(const StTensor *const *)b;
    if (x->data != y->data) return (const char *)x->data < (const char *)y->data ? -1 : 1;
    return x->nbytes < y->nbytes ? -1 : x->nbytes > y->nbytes;
}

static const DtypeInfo *find_dtype(const char *name) {
    for (size_t i = 0; i < sizeof DTYPES / sizeof DTYPES[0]; i++)
        if (strcmp(DTYPES[i].name, name) == 0) return &DTYPES[i];
    return NULL;
}

/* Parses exactly len bytes of JSON (trailing whitespace allowed, as the
 * format pads headers with spaces). On failure *at is the byte offset. */
static cJSON *parse_json_exact(const char *text, size_t len, size_t *at) {
    const char *end = NULL;
    cJSON *json = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (json && end)
        while (end < text + len && *end && strchr(" \t\r\n", *end)) end++;
    if (json && end == text + len) return json;
    cJSON_Delete(json);
    *at = end ? (size_t)(end - text) : 0;
    return NULL;
}

static int json_uint(const cJSON *item, uint64_t *out) {
    if (!cJSON_IsNumber(item)) return 0;
    double v = item->valuedouble;
    if (!(v >= 0 && v <= JSON_MAX_EXACT_INT) || v != (double)(uint64_t)v) return 0;
    *out = (uint64_t)v;
    return 1;
}

/* Maps a whole file of at least min_len bytes read-only (what says what
 * the bytes were for). Returns 0, or -1 with err naming path. */
static int map_file(const char *path, size_t min_len, const char *what, void **map, size_t *len,
                    SwanError *err) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return swan_error_set(err, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    int rc = 0;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
        rc = swan_error_set(err, "%s: not a regular file", path);
    else if ((unsigned long long)sb.st_size < min_len)
        rc = swan_error_set(err, "%s: file too short (%lld bytes) for %s", path, (long long)sb.st_size,
                            what);
    if (rc == 0) {
        void *p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            rc = swan_error_set(err, "%s: cannot map: %s", path, strerror(errno));
        } else {
            *map = p;
            *len = (size_t)sb.st_size;
        }
    }
    close(fd);
    return rc;
}

/* ---- one file's header ------------------------------------------------ */

static void file_release(StFile *f) {
    for (int i = 0; i < f->n_tensors; i++) free((char *)f->tensors[i].name);
    free(f->tensors);
    f->tensors = NULL;
    f->n_tensors = 0;
    if (f->map) munmap(f->map, f->map_len);
    f->map = NULL;
    f->map_len = 0;
}

static int parse_shape(const StFile *f, const char *name, const cJSON *shape, StTensor *t,
                       uint64_t *n_elems, SwanError *err) {
    int ndim = cJSON_IsArray(shape) ? cJSON_GetArraySize(shape) : -1;
    if (ndim < 0 || ndim > ST_MAX_DIMS)
        return swan_error_set(err,
                              "%s: tensor %s: shape must be a list of at most %d "
                              "sizes",
                              f->path, name, ST_MAX_DIMS);
    *n_elems = 1;
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++) {
        uint64_t dim;
        if (!json_uint(cJSON_GetArrayItem(shape, i), &dim))
            return swan_error_set(err,
                                  "%s: tensor %s: shape[%d] must be a "
                                  "non-negative integer",
                                  f->path, name, i);
        if (dim != 0 && *n_elems > (uint64_t)INT64_MAX / dim)
            return swan_error_set(err, "%s: tensor %s: shape overflows", f->path, name);
        *n_elems *= dim;
        t->shape[i] = (int64_t)dim;
    }
    return 0;
}

/* Fills t from one header entry; data offsets are checked against the
 * data area [data, data + data_len). */
static int parse_entry(const StFile *f, const cJSON *entry, const char *data, uint64_t data_len,
                       StTensor *t, SwanError *err) {
    const char *name = entry->string;
    if (!cJSON_IsObject(entry))
        return swan_error_set(err, "%s: tensor %s: entry is not an object", f->path, name);
    const char *dtype = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(entry, "dtype"));
    if (!dtype) return swan_error_set(err, "%s: tensor %s: dtype missing", f->path, name);
    const DtypeInfo *info = find_dtype(dtype);
    if (!info)
        return swan_error_set(err, "%s: tensor %s: unknown dtype \"%.32s\"", f->path, name, dtype);
    uint64_t n_elems = 0;
    if (parse_shape(f, name, cJSON_GetObjectItemCaseSensitive(entry, "shape"), t, &n_elems, err))
        return -1;
    if (n_elems > UINT64_MAX / (uint64_t)info->bits)
        return swan_error_set(err, "%s: tensor %s: size overflows", f->path, name);
    uint64_t nbytes = (n_elems * (uint64_t)info->bits + 7) / 8;
    const cJSON *offsets = cJSON_GetObjectItemCaseSensitive(entry, "data_offsets");
    uint64_t begin = 0, end = 0;
    if (!cJSON_IsArray(offsets) || cJSON_GetArraySize(offsets) != 2 ||
        !json_uint(cJSON_GetArrayItem(offsets, 0), &begin) ||
        !json_uint(cJSON_GetArrayItem(offsets, 1), &end))
        return swan_error_set(err, "%s: tensor %s: data_offsets must be [begin, end]", f->path, name);
    if (begin > end || end > data_len)
        return swan_error_set(err,
                              "%s: tensor %s: data_offsets [%llu, %llu] lie "
                              "outside the data (%llu bytes)",
                              f->path, name, (unsigned long long)begin, (unsigned long long)end,
                              (unsigned long long)data_len);
    if (end - begin != nbytes)
        return swan_error_set(err,
                              "%s: tensor %s: data_offsets span %llu bytes, "
                              "dtype and shape need %llu",
                              f->path, name, (unsigned long long)(end - begin),
                              (unsigned long long)nbytes);
    t->dtype = info->dtype;
    t->dtype_name = info->name;
    t->data = data + begin;
    t->nbytes = (size_t)nbytes;
    t->file = f->path;
    return 0;
}

static int check_no_duplicates(const StFile *f, SwanError *err) {
    for (int i = 1; i < f->n_tensors; i++)
        if (strcmp(f->tensors[i - 1].name, f->tensors[i].name) == 0)
            return swan_error_set(err, "%s: duplicate tensor %s", f->path, f->tensors[i].name);
    return 0;
}

/* Empty tensors own no bytes, so they cannot overlap anything. */
static int check_no_overlap(const StFile *f, SwanError *err) {
    const StTensor **by_begin = malloc(((size_t)f->n_tensors + 1) * sizeof *by_begin);
    if (!by_begin) return oom(err, f->path);
    int n = 0;
    for (int i = 0; i < f->n_tensors; i++)
        if (f->tensors[i].nbytes > 0) by_begin[n++] = &f->tensors[i];
    qsort(by_begin, (size_t)n, sizeof *by_begin, cmp_tensor_begin);
    int rc = 0;
    for (int i = 1; i < n && rc == 0; i++) {
        const StTensor *prev = by_begin[i - 1], *cur = by_begin[i];
        if ((const char *)prev->data + prev->nbytes > (const char *)cur->data)
            rc = swan_error_set(err, "%s: tensors %s and %s overlap", f->path, prev->name, cur->name);
    }
    free(by_begin);
    return rc;
}

static int parse_entries(StFile *f, const cJSON *header, const char *data, uint64_t data_len,
                         SwanError *err) {
    f->tensors = calloc((size_t)cJSON_GetArraySize(header) + 1, sizeof *f->tensors);
    if (!f->tensors) return oom(err, f->path);
    const cJSON *entry;
    cJSON_ArrayForEach(entry, header) {
        if (strcmp(entry->string, "__metadata__") == 0) continue;
        StTensor *t = &f->tensors[f->n_tensors];
        if (parse_entry(f, entry, data, data_len, t, err)) return -1;
        t->name = strdup(entry->string);
        if (!t->name) return oom(err, f->path);
        f->n_tensors++;
    }
    qsort(f->tensors, (size_t)f->n_tensors, sizeof *f->tensors, cmp_tensor_name);
    if (check_no_duplicates(f, err)) return -1;
    return check_no_overlap(f, err);
}

/* The header is JSON padded with spaces up to its stated length. */
static int parse_header(StFile *f, SwanError *err) {
    const unsigned char *bytes = f->map;
    uint64_t header_len = 0;
    for (int i = 7; i >= 0; i--) header_len = header_len << 8 | bytes[i];
    uint64_t rest = f->map_len - 8;
    if (header_len > rest)
        return swan_error_set(err,
                              "%s: header length %llu runs past the end of the "
                              "file (%zu bytes)",
                              f->path, (unsigned long long)header_len, f->map_len);
    if (header_len < 2 || header_len > ST_MAX_HEADER)
        return swan_error_set(err, "%s: header length %llu is not plausible", f->path,
                              (unsigned long long)header_len);
    const char *text = (const char *)bytes + 8;
    size_t at;
    cJSON *header = parse_json_exact(text, (size_t)header_len, &at);
    if (!header)
        return swan_error_set(err, "%s: header is invalid JSON near byte %zu", f->path, at + 8);
    int rc = cJSON_IsObject(header)
                 ? parse_entries(f, header, text + header_len, rest - header_len, err)
                 : swan_error_set(err, "%s: header is not a JSON object", f->path);
    cJSON_Delete(header);
    return rc;
}

static const StTensor *file_find(const StFile *f, const char *name) {
    StTensor key = {.name = name};
    return bsearch(&key, f->tensors, (size_t)f->n_tensors, sizeof key, cmp_tensor_name);
}

/* Every tensor the index places in f must really be there. */
static int check_index_entries(const SafeTensors *st, int file, SwanError *err) {
    const StFile *f = &st->files[file];
    for (int i = 0; i < st->n_entries; i++)
        if (st->entries[i].file == file && !file_find(f, st->entries[i].name))
            return swan_error_set(err, "%s: tensor %s missing (%s places it there)", f->path,
                                  st->entries[i].name, ST_INDEX_NAME);
    return 0;
}

static int file_validate(SafeTensors *st, int file, SwanError *err) {
    StFile *f = &st->files[file];
    if (map_file(f->path, 8, "a safetensors header", &f->map, &f->map_len, err)) return -1;
    if (parse_header(f, err)) return -1;
    return st->index_path ? check_index_entries(st, file, err) : 0;
}

/* Opens and validates a file once; a failure is remembered so every
 * later st_get on it reports the same one line. */
static int file_ensure(SafeTensors *st, int file, SwanError *err) {
    StFile *f = &st->files[file];
    if (f->state == FILE_READY) return 0;
    if (f->state == FILE_FAILED) return swan_error_set(err, "%s", f->failure ? f->failure : f->path);
    if (file_validate(st, file, err) == 0) {
        f->state = FILE_READY;
        return 0;
    }
    file_release(f);
    f->state = FILE_FAILED;
    f->failure = strdup(err ? err->msg : "invalid safetensors file");
    return -1;
}

/* ---- the index --------------------------------------------------------- */

static int find_or_add_file(SafeTensors *st, const char *dir, const char *name) {
    for (int i = 0; i < st->n_files; i++) {
        const char *base = strrchr(st->files[i].path, '/') + 1;
        if (strcmp(base, name) == 0) return i;
    }
    char *path = join_path(dir, name);
    if (!path) return -1;
    st->files[st->n_files].path = path;
    return st->n_files++;
}

/* A shard name must stay inside the model directory. */
static int plain_file_name(const char *name) {
    return name[0] && !strchr(name, '/') && strcmp(name, ".") && strcmp(name, "..");
}

static int index_add_entries(SafeTensors *st, const char *dir, const cJSON *map, SwanError *err) {
    size_t n = (size_t)cJSON_GetArraySize(map) + 1;
    st->entries = calloc(n, sizeof *st->entries);
    st->files = calloc(n, sizeof *st->files);
    if (!st->entries || !st->files) return oom(err, st->index_path);
    const cJSON *item;
    cJSON_ArrayForEach(item, map) {
        const char *shard = cJSON_GetStringValue(item);
        if (!shard || !plain_file_name(shard))
            return swan_error_set(err,
                                  "%s: weight_map[\"%s\"] must be a file name in "
                                  "the model directory",
                                  st->index_path, item->string);
        StEntry *e = &st->entries[st->n_entries];
        e->file = find_or_add_file(st, dir, shard);
        e->name = strdup(item->string);
        if (e->file < 0 || !e->name) {
            free(e->name);
            return oom(err, st->index_path);
        }
        st->n_entries++;
    }
    qsort(st->entries, (size_t)st->n_entries, sizeof *st->entries, cmp_entry_name);
    for (int i = 1; i < st->n_entries; i++)
        if (strcmp(st->entries[i - 1].name, st->entries[i].name) == 0)
            return swan_error_set(err, "%s: duplicate tensor %s in weight_map", st->index_path,
                                  st->entries[i].name);
    return 0;
}

static int index_parse(SafeTensors *st, const char *dir, const char *text, size_t len, SwanError *err) {
    size_t at;
    cJSON *root = parse_json_exact(text, len, &at);
    if (!root) return swan_error_set(err, "%s: invalid JSON near byte %zu", st->index_path, at);
    const cJSON *map = cJSON_GetObjectItemCaseSensitive(root, "weight_map");
    int rc = cJSON_IsObject(map)
                 ? index_add_entries(st, dir, map, err)
                 : swan_error_set(err, "%s: weight_map missing or not an object", st->index_path);
    cJSON_Delete(root);
    return rc;
}

static int index_open(SafeTensors *st, const char *dir, SwanError *err) {
    void *map;
    size_t len;
    if (map_file(st->index_path, 2, "a JSON object", &map, &len, err)) return -1;
    int rc = index_parse(st, dir, map, len, err);
    munmap(map, len);
    return rc;
}

static int single_open(SafeTensors *st, const char *dir, SwanError *err) {
    st->files = calloc(1, sizeof *st->files);
    if (!st->files) return swan_error_set(err, "%s: out of memory", dir);
    st->files[0].path = join_path(dir, ST_SINGLE_NAME);
    if (!st->files[0].path) return swan_error_set(err, "%s: out of memory", dir);
    st->n_files = 1;
    if (access(st->files[0].path, F_OK) != 0)
        return swan_error_set(err, "%s: cannot open: %s (and no %s)", st->files[0].path,
                              strerror(errno), ST_INDEX_NAME);
    /* Without an index the header is the only list of names: read it now. */
    return file_ensure(st, 0, err);
}

/* ---- public API --------------------------------------------------------- */

int st_open_dir(const char *dir, SafeTensors **out, SwanError *err) {
    *out = NULL;
    SafeTensors *st = calloc(1, sizeof *st);
    char *index_path = join_path(dir, ST_INDEX_NAME);
    if (!st || !index_path) {
        free(st);
        free(index_path);
        return swan_error_set(err, "%s: out of memory", dir);
    }
    int rc;
    if (access(index_path, F_OK) == 0) {
        st->index_path = index_path;
        rc = index_open(st, dir, err);
    } else {
        free(index_path);
        rc = single_open(st, dir, err);
    }
    if (rc) {
        st_close(st);
        return -1;
    }
    *out = st;
    return 0;
}

static int entry_file(const SafeTensors *st, const char *name) {
    if (!st->index_path) return 0;
    StEntry key = {.name = (char *)name};
    const StEntry *e = bsearch(&key, st->entries, (size_t)st->n_entries, sizeof key, cmp_entry_name);
    return e ? e->file : -1;
}

int st_get(SafeTensors *st, const char *name, const StTensor **out, SwanError *err) {
    *out = NULL;
    int file = entry_file(st, name);
    if (file < 0) return swan_error_set(err, "%s: tensor %s missing", st->index_path, name);
    if (file_ensure(st, file, err)) return -1;
    const StTensor *t = file_find(&st->files[file], name);
    if (!t) return swan_error_set(err, "%s: tensor %s missing", st->files[file].path, name);
    *out = t;
    return 0;
}

int st_has(const SafeTensors *st, const char *name) {
    int file = entry_file(st, name);
    if (file < 0) return 0;
    if (st->index_path) return 1;
    return file_find(&st->files[file], name) != NULL;
}

void st_to_f32(const StTensor *t, float *dst, size_t n) {
    const unsigned char *src = t->data;
    switch (t->dtype) {
    case ST_F32:
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        for (size_t i = 0; i < n; i++) {
            const unsigned char *p = src + 4 * i;
            uint32_t bits = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                            (uint32_t)p[3] << 24;
            memcpy(&dst[i], &bits, sizeof bits);
        }
#else
        memcpy(dst, src, n * sizeof *dst);
#endif
        break;
    case ST_F16:
        for (size_t i = 0; i < n; i++) dst[i] = half_f16_to_f32(half_load_le16(src + 2 * i));
        break;
    case ST_BF16:
        for (size_t i = 0; i < n; i++) dst[i] = half_bf16_to_f32(half_load_le16(src + 2 * i));
        break;
    default:
        /* Callers check the dtype first; make a slip loud, not silent. */
        for (size_t i = 0; i < n; i++) dst[i] = NAN;
        break;
    }
}

size_t st_mapped_bytes(const SafeTensors *st) {
    size_t total = 0;
    for (int i = 0; i < st->n_files; i++)
        if (st->files[i].state == FILE_READY) total += st->files[i].map_len;
    return total;
}

void st_close(SafeTensors *st) {
    if (!st) return;
    for (int i = 0; i < st->n_files; i++) {
        file_release(&st->files[i]);
        free(st->files[i].path);
        free(st->files[i].failure);
    }
    for (int i = 0; i < st->n_entries; i++) free(st->entries[i].name);
    free(st->files);
    free(st->entries);
    free(st->index_path);
    free(st);
}
