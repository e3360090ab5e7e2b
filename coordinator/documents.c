#include "documents.h"

#include <cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "cli.h"
#include "file_read.h"

/* What one step of the reader gave: a document, a bad document (reported),
 * or nothing yet (a skipped or blank entry, a directory or JSONL file just
 * opened or finished). */
enum { STEP_DOC = 1, STEP_BAD = -1, STEP_NONE = 2 };

void doc_reader_init(DocReader *r, char **inputs, int ninputs, const DocReaderOptions *o) {
    memset(r, 0, sizeof *r);
    r->o = *o;
    r->inputs = inputs;
    r->ninputs = ninputs;
}

static void free_files(DocReader *r) {
    for (size_t i = 0; i < r->nfiles; i++) free(r->files[i].path);
    free(r->files);
    r->files = NULL;
    r->nfiles = r->next_file = 0;
}

static void close_jsonl(DocReader *r) {
    if (r->jsonl) fclose(r->jsonl);
    free(r->jsonl_path);
    r->jsonl = NULL;
    r->jsonl_path = NULL;
}

void doc_reader_free(DocReader *r) {
    close_jsonl(r);
    free_files(r);
    free(r->line);
    r->line = NULL;
    r->line_cap = 0;
}

void document_free(Document *doc) {
    free(doc->id);
    free(doc->tokens);
    doc->id = NULL;
    doc->tokens = NULL;
}

static int has_suffix(const char *path, const char *suffix) {
    size_t n = strlen(path), k = strlen(suffix);
    return n > k && !strcmp(path + n - k, suffix);
}

/* Takes its place in the input order, so the NLL dump can pass over it. */
static int bad_document(DocReader *r, Document *doc) {
    doc->seq = r->seq++;
    return STEP_BAD;
}

/* A document needs a token to predict from and one to predict, and the
 * model must have an embedding for every id. */
static int check_tokens(const DocReader *r, const char *where, const int *ids, long n) {
    if (n == 0) {
        cli_error("%s: empty, nothing to score", where);
        return -1;
    }
    if (n < 2) {
        cli_error("%s: only 1 token, nothing to score (a document needs at least 2)", where);
        return -1;
    }
    for (long i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= r->o.vocab_size) {
            cli_error(
                "%s: token id %d at position %ld is outside the model's vocabulary (vocab_size %d)"
                "; is the tokenizer the model's?",
                where, ids[i], i, r->o.vocab_size);
            return -1;
        }
    return 0;
}

/* Stats first: opening a FIFO would block, and a device may never end. */
static int check_regular(const char *path, long long *size) {
    struct stat sb;
    if (stat(path, &sb) != 0) {
        cli_error("%s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(sb.st_mode)) {
        cli_error("%s: not a regular file", path);
        return -1;
    }
    *size = (long long)sb.st_size;
    return 0;
}

static FILE *open_regular(const char *path, long long *size) {
    if (check_regular(path, size) != 0) return NULL;
    FILE *f = fopen(path, "rb");
    if (!f) cli_error("%s: %s", path, strerror(errno));
    return f;
}

/* INT_MAX bytes is what tokenizer_encode takes; refusing more here spares
 * reading it all first. */
static unsigned char *read_whole(const char *path, size_t *len) {
    long long size = 0;
    unsigned char *buf = NULL;
    SwanError err;
    if (check_regular(path, &size) != 0) return NULL;
    if (swan_read_file(path, INT_MAX, &buf, len, &err) != 0) {
        cli_error("%s", err.msg);
        return NULL;
    }
    return buf;
}

static int encode(const DocReader *r, const char *where, const unsigned char *text, size_t len,
                  int **ids, long *n) {
    size_t count = 0;
    SwanError err;
    if (tokenizer_encode_ex(r->o.tokenizer, text, len, !r->o.no_special, ids, &count, &err) != 0) {
        cli_error("%s: %s", where, err.msg);
        free(*ids);
        *ids = NULL;
        return -1;
    }
    *n = (long)count;
    return 0;
}

/* Text never holds NUL bytes: such a file is a binary given by mistake,
 * unless the byte tokenizer was asked for, to which any bytes are text. */
static int read_text(const DocReader *r, const char *path, int **ids, long *n) {
    size_t len = 0;
    unsigned char *text = read_whole(path, &len);
    if (!text) return -1;
    const unsigned char *nul = r->o.bytes ? NULL : memchr(text, 0, len);
    int rc = -1;
    if (nul)
        cli_error("%s: binary data, not text (a NUL byte at offset %ld); token ids go in a .u32 "
                  "file, raw bytes need --tokenizer bytes",
                  path, (long)(nul - text));
    else
        rc = encode(r, path, text, len, ids, n);
    free(text);
    return rc;
}

/* Little-endian uint32 ids, converted block by block so the file is never
 * held twice. */
static int read_u32(const DocReader *r, const char *path, int **out, long *n) {
    long long size = 0;
    FILE *f = open_regular(path, &size);
    if (!f) return -1;
    long count = (long)(size / 4);
    int *ids = size % 4 ? NULL : malloc(sizeof(int) * ((size_t)count + 1));
    int rc = -1;
    if (size % 4)
        cli_error("%s: %lld bytes is not a whole number of 4-byte token ids (.u32 input)", path, size);
    else if (!ids)
        cli_error("%s: out of memory for %ld token ids", path, count);
    else
        rc = 0;
    unsigned char buf[1 << 14];
    for (long i = 0; rc == 0 && i < count;) {
        size_t want = count - i < (long)sizeof buf / 4 ? (size_t)(count - i) : sizeof buf / 4;
        if (fread(buf, 4, want, f) != want) {
            cli_error("%s: read error", path);
            rc = -1;
        }
        for (size_t k = 0; rc == 0 && k < want; k++, i++) {
            const unsigned char *b = buf + 4 * k;
            uint32_t v = b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
            if (v >= (uint32_t)r->o.vocab_size) {
                cli_error("%s: token id %lu at position %ld is outside the model's vocabulary "
                          "(vocab_size %d)",
                          path, (unsigned long)v, i, r->o.vocab_size);
                rc = -1;
            }
            ids[i] = (int)v;
        }
    }
    fclose(f);
    if (rc != 0) {
        free(ids);
        return -1;
    }
    *out = ids;
    *n = count;
    return 0;
}

/* Fills doc from ids (taken: freed on failure). */
static int take_tokens(DocReader *r, const char *where, const char *id, int *ids, long n,
                       Document *doc) {
    if (check_tokens(r, where, ids, n) != 0) {
        free(ids);
        return STEP_BAD;
    }
    if (!(doc->id = strdup(id))) {
        cli_error("%s: out of memory", where);
        free(ids);
        return STEP_BAD;
    }
    doc->tokens = ids;
    doc->ntokens = n;
    return STEP_DOC;
}

static int skip_done(DocReader *r, const char *id) {
    if (!r->o.skip || !r->o.skip(r->o.skip_ctx, id)) return 0;
    r->skipped++;
    return 1;
}

static int open_jsonl(DocReader *r, const char *path, Document *doc) {
    long long size = 0;
    FILE *f = open_regular(path, &size);
    if (!f) return bad_document(r, doc);
    if (!(r->jsonl_path = strdup(path))) {
        cli_error("%s: out of memory", path);
        fclose(f);
        return bad_document(r, doc);
    }
    r->jsonl = f;
    r->jsonl_line = 0;
    r->jsonl_items = 0;
    return STEP_NONE;
}

/* A text file, a .u32 file, or the start of a JSONL file. */
static int read_file_input(DocReader *r, const char *path, Document *doc) {
    if (has_suffix(path, ".jsonl")) return open_jsonl(r, path, doc);
    if (skip_done(r, path)) return STEP_NONE;
    doc->seq = r->seq++;
    int *ids = NULL;
    long n = 0;
    int rc = has_suffix(path, ".u32") ? read_u32(r, path, &ids, &n) : read_text(r, path, &ids, &n);
    return rc == 0 ? take_tokens(r, path, path, ids, n, doc) : STEP_BAD;
}

/* ---- JSONL ---- */

static int only_space(const char *p, const char *end) {
    for (; p < end; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') return 0;
    return 1;
}

/* The document's id: the "id" string, a number as JSON writes it, or
 * FILE:LINE when there is none. NULL with *problem set when it is neither. */
static char *jsonl_id(const cJSON *root, const char *where, const char **problem) {
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "id");
    char *s = NULL;
    if (!id || cJSON_IsNull(id))
        s = strdup(where);
    else if (cJSON_IsString(id))
        s = strdup(id->valuestring);
    else if (cJSON_IsNumber(id))
        s = cJSON_PrintUnformatted(id);
    else
        *problem = "\"id\" is neither a string nor a number";
    if (!s && !*problem) *problem = "out of memory";
    return s;
}

/* The object's "text", or NULL with *problem set. */
static const char *jsonl_text(const cJSON *root, const char *parse_end, const char *line_end,
                              const char **problem) {
    const cJSON *text = NULL;
    if (!root)
        *problem = "not valid JSON";
    else if (!only_space(parse_end, line_end))
        *problem = "more after the JSON value (one document per line)";
    else if (!cJSON_IsObject(root))
        *problem = "not a JSON object";
    else if (!(text = cJSON_GetObjectItemCaseSensitive(root, "text")))
        *problem = "no \"text\" member";
    else if (!cJSON_IsString(text))
        *problem = "\"text\" is not a string";
    return text && cJSON_IsString(text) ? text->valuestring : NULL;
}

static int jsonl_document(DocReader *r, char *line, size_t len, const char *where, Document *doc) {
    if (r->jsonl_line == 1 && len >= 3 && !memcmp(line, "\xEF\xBB\xBF", 3)) line += 3, len -= 3;
    const char *end = line + len, *problem = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(line, len, &end, 0);
    const char *text = jsonl_text(root, end, line + len, &problem);
    char *id = text ? jsonl_id(root, where, &problem) : NULL;
    int rc = STEP_NONE;
    if (problem) {
        if (root || end < line || end > line + len)
            cli_error("%s: %s", where, problem);
        else
            cli_error("%s: %s (column %ld)", where, problem, (long)(end - line) + 1);
        rc = bad_document(r, doc);
    } else if (!skip_done(r, id)) {
        doc->seq = r->seq++;
        int *ids = NULL;
        long n = 0;
        rc = encode(r, where, (const unsigned char *)text, strlen(text), &ids, &n) == 0
                 ? take_tokens(r, where, id, ids, n, doc)
                 : STEP_BAD;
    }
    free(id);
    cJSON_Delete(root);
    return rc;
}

/* At the end of the file: an empty one is reported like an empty text file. */
static int end_jsonl(DocReader *r, Document *doc) {
    int rc = STEP_NONE;
    if (ferror(r->jsonl)) {
        cli_error("%s: read error after line %ld", r->jsonl_path, r->jsonl_line);
        rc = bad_document(r, doc);
    } else if (r->jsonl_items == 0) {
        cli_error("%s: no documents in this JSONL file", r->jsonl_path);
        rc = bad_document(r, doc);
    }
    close_jsonl(r);
    return rc;
}

static int next_jsonl_document(DocReader *r, Document *doc) {
    ssize_t len;
    while ((len = getline(&r->line, &r->line_cap, r->jsonl)) >= 0) {
        r->jsonl_line++;
        if (only_space(r->line, r->line + len)) continue;
        r->jsonl_items++;
        size_t n = strlen(r->jsonl_path) + 24;
        char *where = malloc(n);
        if (!where) {
            cli_error("%s:%ld: out of memory", r->jsonl_path, r->jsonl_line);
            return bad_document(r, doc);
        }
        snprintf(where, n, "%s:%ld", r->jsonl_path, r->jsonl_line);
        int rc = jsonl_document(r, r->line, (size_t)len, where, doc);
        free(where);
        return rc;
    }
    return end_jsonl(r, doc);
}

/* ---- directories ---- */

typedef struct {
    DirEntry *v;
    size_t n, cap;
} EntryList;

static int push_entry(EntryList *l, char *path, int err) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        DirEntry *v = realloc(l->v, sizeof *v * cap);
        if (!v) return -1;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = (DirEntry){path, err};
    return 0;
}

static char *join_path(const char *dir, const char *name) {
    size_t a = strlen(dir), b = strlen(name);
    int slash = a > 0 && dir[a - 1] != '/';
    char *p = malloc(a + slash + b + 1);
    if (!p) return NULL;
    memcpy(p, dir, a);
    if (slash) p[a] = '/';
    memcpy(p + a + slash, name, b + 1);
    return p;
}

static int list_dir(const char *dir, EntryList *l);

/* One directory entry: a regular file (or a link to one) is a document, a
 * subdirectory is walked (a symlinked one is not: it could loop), anything
 * else is not a document. p is taken. 0, or -1 when out of memory. */
static int add_entry(char *p, EntryList *l) {
    struct stat lsb, sb;
    int err = 0;
    if (lstat(p, &lsb) == 0 && S_ISDIR(lsb.st_mode)) {
        err = list_dir(p, l);
        if (err == 0 || err == ENOMEM) {
            free(p);
            return err ? -1 : 0;
        }
        /* an unreadable subdirectory is reported when its turn comes */
    } else if (stat(p, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        free(p);
        return 0;
    }
    if (push_entry(l, p, err) == 0) return 0;
    free(p);
    return -1;
}

/* Appends the regular files under dir (hidden names skipped). 0 or errno. */
static int list_dir(const char *dir, EntryList *l) {
    DIR *d = opendir(dir);
    if (!d) return errno ? errno : EIO;
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (errno = 0, e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char *p = join_path(dir, e->d_name);
        if (!p || add_entry(p, l) != 0) rc = ENOMEM;
    }
    if (rc == 0 && errno) rc = errno;
    closedir(d);
    return rc;
}

static int compare_entries(const void *a, const void *b) {
    return strcmp(((const DirEntry *)a)->path, ((const DirEntry *)b)->path);
}

static void free_list(EntryList *l) {
    for (size_t i = 0; i < l->n; i++) free(l->v[i].path);
    free(l->v);
}

/* Lists the whole tree (paths only) so it can be read in sorted order. */
static int open_dir(DocReader *r, const char *path, Document *doc) {
    EntryList l = {0};
    int err = list_dir(path, &l);
    if (err) {
        cli_error("%s: cannot list the directory: %s", path, strerror(err));
        free_list(&l);
        return bad_document(r, doc);
    }
    if (l.n == 0) {
        cli_error("%s: no documents in this directory (hidden files are skipped)", path);
        free_list(&l);
        return bad_document(r, doc);
    }
    qsort(l.v, l.n, sizeof *l.v, compare_entries);
    r->files = l.v;
    r->nfiles = l.n;
    r->next_file = 0;
    return STEP_NONE;
}

static int next_dir_document(DocReader *r, Document *doc) {
    const DirEntry *e = &r->files[r->next_file++];
    if (e->err) {
        cli_error("%s: cannot list the directory: %s", e->path, strerror(e->err));
        return bad_document(r, doc);
    }
    return read_file_input(r, e->path, doc);
}

static int open_input(DocReader *r, const char *path, Document *doc) {
    struct stat sb;
    if (stat(path, &sb) != 0) {
        cli_error("%s: %s", path, strerror(errno));
        return bad_document(r, doc);
    }
    return S_ISDIR(sb.st_mode) ? open_dir(r, path, doc) : read_file_input(r, path, doc);
}

int doc_reader_next(DocReader *r, Document *doc) {
    memset(doc, 0, sizeof *doc);
    for (;;) {
        int rc;
        if (r->jsonl)
            rc = next_jsonl_document(r, doc);
        else if (r->next_file < r->nfiles)
            rc = next_dir_document(r, doc);
        else if (r->files)
            rc = (free_files(r), STEP_NONE);
        else if (r->next < r->ninputs)
            rc = open_input(r, r->inputs[r->next++], doc);
        else
            return 0;
        if (rc != STEP_NONE) return rc == STEP_DOC ? 1 : -1;
    }
}
