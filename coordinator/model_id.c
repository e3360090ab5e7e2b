#include "model_id.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "model_paths.h"

/* Bytes hashed at each of a weight file's start, middle and end: weights
 * trained apart differ everywhere, and reading a sample keeps a 100 GB
 * model's fingerprint instant. */
#define SAMPLE_BYTES 65536

static void hash_bytes(uint64_t *h, const void *data, size_t n) {
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) *h = (*h ^ p[i]) * 1099511628211ULL;
}

/* Hashes the file's size and up to SAMPLE_BYTES at each offset; 0, or -1
 * when it cannot be read (errno set). */
static int hash_file(uint64_t *h, const char *path, int whole) {
    FILE *f = fopen(path, "rb");
    struct stat sb;
    if (!f || fstat(fileno(f), &sb) != 0) {
        if (f) fclose(f);
        return -1;
    }
    long long size = sb.st_size;
    hash_bytes(h, &size, sizeof size);
    long long offsets[3] = {0, size / 2, size > SAMPLE_BYTES ? size - SAMPLE_BYTES : 0};
    static unsigned char buf[SAMPLE_BYTES];
    for (int i = 0; i < (whole ? 1 : 3); i++) {
        if (fseeko(f, (off_t)offsets[i], SEEK_SET) != 0) break;
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
            hash_bytes(h, buf, n);
            if (!whole) break;
        }
    }
    fclose(f);
    return 0;
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.safetensors file of dir, in name order. */
static int hash_weights(uint64_t *h, const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    char *names[1024];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 1024) {
        size_t len = strlen(e->d_name);
        if (len > 12 && !strcmp(e->d_name + len - 12, ".safetensors") && (names[n] = strdup(e->d_name)))
            n++;
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, by_name);
    int rc = 0;
    char path[4096];
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        hash_bytes(h, names[i], strlen(names[i]));
        if (rc == 0) rc = hash_file(h, path, 0);
        free(names[i]);
    }
    return rc;
}

int model_id(const char *model_dir, const char *tokenizer, int no_special, char out[MODEL_ID_LEN + 1]) {
    uint64_t h = 1469598103934665603ULL;
    char path[4096];
    SwanError err;
    int rc = model_path(path, sizeof path, model_dir, MODEL_CONFIG_FILE, &err);
    if (rc == 0) rc = hash_file(&h, path, 1);
    if (rc == 0) rc = hash_weights(&h, model_dir);
    if (rc == 0 && tokenizer && !strcmp(tokenizer, "bytes"))
        hash_bytes(&h, "bytes", 5);
    else if (rc == 0 && tokenizer)
        rc = hash_file(&h, tokenizer, 1);
    else if (rc == 0 && model_path(path, sizeof path, model_dir, MODEL_TOKENIZER_FILE, &err) == 0)
        hash_file(&h, path, 1); /* a model without tokenizer.json is scored with --tokenizer */
    /* Ids without the post-processor's BOS are other inputs; the default
     * hashes nothing more, so older result files keep their fingerprint. */
    if (no_special) hash_bytes(&h, "no-special", 10);
    if (rc != 0) {
        cli_error("%s: cannot fingerprint the model: %s", model_dir, strerror(errno));
        return -1;
    }
    snprintf(out, MODEL_ID_LEN + 1, "%016llx", (unsigned long long)h);
    return 0;
}
