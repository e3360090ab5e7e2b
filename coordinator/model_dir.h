/* A new model directory made from another one with a different config.json
 * (swan convert, swan fit-scaling --write). The weights and the tokenizer
 * are never rewritten: each file is hard-linked where both directories
 * share a file system, else symlinked, else copied. The source directory is
 * only read. */
#ifndef SWAN_MODEL_DIR_H
#define SWAN_MODEL_DIR_H

#include <cJSON.h>

#include "error.h"

/* Creates out_dir, which must not exist yet or be empty (so nothing of the
 * user's is ever overwritten); its parent must exist. */
int model_dir_create(const char *out_dir, SwanError *err);

/* Links src_dir's weights (model.safetensors, or model.safetensors.index.json
 * and every shard it names) and its tokenizer files into out_dir. Prints one
 * line per file to stderr saying how it was carried over. */
int model_dir_link_files(const char *src_dir, const char *out_dir, SwanError *err);

/* dir/config.json as a cJSON tree the caller frees with cJSON_Delete; NULL
 * with err. */
cJSON *model_dir_read_config(const char *dir, SwanError *err);

/* Writes out_dir/config.json, which must not exist yet. */
int model_dir_write_config(const char *out_dir, const cJSON *root, SwanError *err);

#endif
