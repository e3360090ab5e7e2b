/* The checked readers config.json's parts share (config.c, config_family.c,
 * config_rope.c, config_scaling.c). Internal to the config loader: each
 * reader names the file and the key in its one-line error. */
#ifndef SWAN_CONFIG_PARSE_H
#define SWAN_CONFIG_PARSE_H

#include <cJSON.h>

#include "error.h"

/* The parse state every helper needs to report an error. */
typedef struct {
    const char *path;
    const cJSON *root;
    SwanError *err;
} ConfigParse;

/* obj[key], with JSON null counted as absent: HF configs write
 * "sliding_window": null and the like. */
const cJSON *config_get(const cJSON *obj, const char *key);

int config_is_exact_int(const cJSON *item);

/* An integer in [min, max]; dflt when absent unless required. */
int config_read_int(const ConfigParse *p, const cJSON *obj, const char *key, int required,
                    long long dflt, long long min, long long max, long long *out);

/* A finite number > 0 (or >= 0 when zero_ok); dflt when absent. where
 * prefixes the key in errors ("" or "rope_scaling." and the like). */
int config_read_number(const ConfigParse *p, const cJSON *obj, const char *where, const char *key,
                       double dflt, int zero_ok, double *out);

/* true or false; dflt when absent. */
int config_read_bool(const ConfigParse *p, const cJSON *obj, const char *key, int dflt, int *out);

#endif
