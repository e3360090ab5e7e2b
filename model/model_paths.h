/* The files of a MODEL_DIR, named in one place. */
#ifndef SWAN_MODEL_PATHS_H
#define SWAN_MODEL_PATHS_H

#include <stddef.h>

#include "config.h"
#include "error.h"

#define MODEL_CONFIG_FILE "config.json"
#define MODEL_TOKENIZER_FILE "tokenizer.json"

/* buf = dir/file; -1 with err set when it does not fit in cap bytes. */
int model_path(char *buf, size_t cap, const char *dir, const char *file, SwanError *err);

/* Reads dir/config.json. */
int swan_config_load_dir(const char *dir, SwanConfig *cfg, SwanError *err);

#endif
