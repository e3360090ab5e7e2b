/* realpath: X/Open, beyond the POSIX 2008 the build asks for. */
#define _XOPEN_SOURCE 700

#include "model_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_read.h"
#include "model_paths.h"

#define INDEX_FILE "model.safetensors.index.json"
#define SINGLE_FILE "model.safetensors"

/* Carried over when present: what Hugging Face tools read beside the
 * tokenizer. Only tokenizer.json matters to swan. */
static const char *const tokenizer_files[] = {MODEL_TOKENIZER_FILE, "tokenizer_config.json",
                                              "special_tokens_map.json", "generation_config.json"};

/* Configs and indexes are small; anything past this is not one. */
#define JSON_MAX_BYTES (64u << 20)

static cJSON *read_json(const char *path, SwanError *err) {
    unsigned char *buf;
    size_t len;
    if (swan_read_file(path, JSON_MAX_BYTES, &buf, &len, err) != 0) return NULL;
    cJSON *root = cJSON_ParseWithLength((const char *)buf, len);
    free(buf);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        swan_error_set(err, "%s: not a JSON object", path);
        return NULL;
    }
    return root;
}

static int dir_is_empty(const char *path) {
    DIR *d = opendir(path);
    if (!d) return 0;
    struct dirent *e;
    int empty = 1;
    while (empty && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) empty = 0;
    closedir(d);
    return empty;
}

int model_dir_create(const char *out_dir, SwanError *err) {
    if (mkdir(out_dir, 0777) == 0) return 0;
    if (errno == EEXIST) {
        struct stat st;
        if (stat(out_dir, &st) == 0 && S_ISDIR(st.st_mode) && dir_is_empty(out_dir)) return 0;
        return swan_error_set(err,
                              "%s already exists and is not an empty directory (nothing is "
                              "overwritten: name a new directory)",
                              out_dir);
    }
    return swan_error_set(err, "%s: cannot create the directory: %s", out_dir, strerror(errno));
}

/* Byte for byte, for a file system that takes no links. */
static int copy_file(const char *from, const char *to, SwanError *err) {
    FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wbx") : NULL;
    char buf[1 << 16];
    size_t got;
    int bad = !in || !out;
    while (!bad && (got = fread(buf, 1, sizeof buf, in)) > 0) bad = fwrite(buf, 1, got, out) != got;
    if (in && ferror(in)) bad = 1;
    if (in) fclose(in);
    if (out && fclose(out) != 0) bad = 1;
    if (bad) return swan_error_set(err, "cannot copy %s to %s: %s", from, to, strerror(errno));
    return 0;
}

static int link_one(const char *src_dir, const char *out_dir, const char *name, SwanError *err) {
    char from[PATH_MAX], to[PATH_MAX], abs[PATH_MAX];
    if (model_path(from, sizeof from, src_dir, name, err) ||
        model_path(to, sizeof to, out_dir, name, err))
        return -1;
    const char *how = "hard link";
    if (link(from, to) != 0) {
        how = "symbolic link";
        if (!realpath(from, abs) || symlink(abs, to) != 0) {
            how = "copy";
            if (copy_file(from, to, err) != 0) return -1;
        }
    }
    fprintf(stderr, "swan: %s: %s of %s\n", to, how, from);
    return 0;
}

/* A shard name from the index must be a plain file name beside it. */
static int plain_name(const char *s) {
    return s && *s && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
}

static int already_linked(const cJSON *map, const cJSON *upto, const char *name) {
    for (const cJSON *e = map->child; e && e != upto; e = e->next)
        if (!strcmp(e->valuestring, name)) return 1;
    return 0;
}

/* The index and each shard it names, once each. */
static int link_shards(const char *src_dir, const char *out_dir, SwanError *err) {
    char path[PATH_MAX];
    if (model_path(path, sizeof path, src_dir, INDEX_FILE, err)) return -1;
    cJSON *root = read_json(path, err);
    if (!root) return -1;
    const cJSON *map = cJSON_GetObjectItemCaseSensitive(root, "weight_map");
    int rc = cJSON_IsObject(map) ? 0 : swan_error_set(err, "%s: no weight_map object", path);
    for (const cJSON *e = map ? map->child : NULL; rc == 0 && e; e = e->next) {
        if (!cJSON_IsString(e) || !plain_name(e->valuestring))
            rc = swan_error_set(err, "%s: weight_map.%s is not a file name beside the index", path,
                                e->string);
        else if (!already_linked(map, e, e->valuestring))
            rc = link_one(src_dir, out_dir, e->valuestring, err);
    }
    cJSON_Delete(root);
    return rc ? -1 : link_one(src_dir, out_dir, INDEX_FILE, err);
}

static int exists_in(const char *dir, const char *name) {
    char path[PATH_MAX];
    SwanError ignored;
    return model_path(path, sizeof path, dir, name, &ignored) == 0 && access(path, F_OK) == 0;
}

int model_dir_link_files(const char *src_dir, const char *out_dir, SwanError *err) {
    int rc;
    if (exists_in(src_dir, INDEX_FILE))
        rc = link_shards(src_dir, out_dir, err);
    else if (exists_in(src_dir, SINGLE_FILE))
        rc = link_one(src_dir, out_dir, SINGLE_FILE, err);
    else
        rc = swan_error_set(err, "%s: no %s or %s", src_dir, SINGLE_FILE, INDEX_FILE);
    for (size_t i = 0; rc == 0 && i < sizeof tokenizer_files / sizeof *tokenizer_files; i++)
        if (exists_in(src_dir, tokenizer_files[i]))
            rc = link_one(src_dir, out_dir, tokenizer_files[i], err);
    return rc;
}

cJSON *model_dir_read_config(const char *dir, SwanError *err) {
    char path[PATH_MAX];
    if (model_path(path, sizeof path, dir, MODEL_CONFIG_FILE, err)) return NULL;
    return read_json(path, err);
}

int model_dir_write_config(const char *out_dir, const cJSON *root, SwanError *err) {
    char path[PATH_MAX];
    if (model_path(path, sizeof path, out_dir, MODEL_CONFIG_FILE, err)) return -1;
    char *text = cJSON_Print(root);
    FILE *f = text ? fopen(path, "wx") : NULL;
    int bad = !f || fputs(text, f) < 0 || fputc('\n', f) == EOF;
    if (f && fclose(f) != 0) bad = 1;
    free(text);
    if (bad) return swan_error_set(err, "%s: cannot write: %s", path, strerror(errno));
    return 0;
}
