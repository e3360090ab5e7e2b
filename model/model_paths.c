#include "model_paths.h"

#include <stdio.h>

int model_path(char *buf, size_t cap, const char *dir, const char *file, SwanError *err) {
    int n = snprintf(buf, cap, "%s/%s", dir, file);
    if (n < 0 || (size_t)n >= cap) return swan_error_set(err, "%s: model directory path too long", dir);
    return 0;
}

int swan_config_load_dir(const char *dir, SwanConfig *cfg, SwanError *err) {
    char path[4096];
    if (model_path(path, sizeof path, dir, MODEL_CONFIG_FILE, err) != 0) return -1;
    return swan_config_load(path, cfg, err);
}
