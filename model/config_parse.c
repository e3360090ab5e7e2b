/* Checked readers of config.json values: every number is tested for type,
 * range and exactness before the loader stores it. */
#include "config_parse.h"

#include <math.h>

#define JSON_MAX_EXACT_INT 9007199254740992.0 /* 2^53: doubles stay exact */

const cJSON *config_get(const cJSON *obj, const char *key) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNull(item) ? NULL : item;
}

int config_is_exact_int(const cJSON *item) {
    if (!cJSON_IsNumber(item)) return 0;
    double v = item->valuedouble;
    return isfinite(v) && v == floor(v) && fabs(v) <= JSON_MAX_EXACT_INT;
}

int config_read_int(const ConfigParse *p, const cJSON *obj, const char *key, int required,
                    long long dflt, long long min, long long max, long long *out) {
    const cJSON *item = config_get(obj, key);
    if (!item) {
        if (required) return swan_error_set(p->err, "%s: %s missing", p->path, key);
        *out = dflt;
        return 0;
    }
    if (!config_is_exact_int(item))
        return swan_error_set(p->err, "%s: %s must be an integer", p->path, key);
    double v = item->valuedouble;
    if (v < (double)min)
        return swan_error_set(p->err, "%s: %s (%.0f) must be >= %lld", p->path, key, v, min);
    if (v > (double)max)
        return swan_error_set(p->err, "%s: %s (%.0f) is too large (max %lld)", p->path, key, v, max);
    *out = (long long)v;
    return 0;
}

int config_read_number(const ConfigParse *p, const cJSON *obj, const char *where, const char *key,
                       double dflt, int zero_ok, double *out) {
    const cJSON *item = config_get(obj, key);
    if (!item) {
        *out = dflt;
        return 0;
    }
    if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble))
        return swan_error_set(p->err, "%s: %s%s must be a number", p->path, where, key);
    double v = item->valuedouble;
    if (v < 0 || (v == 0 && !zero_ok))
        return swan_error_set(p->err, "%s: %s%s (%g) must be %s 0", p->path, where, key, v,
                              zero_ok ? ">=" : ">");
    *out = v;
    return 0;
}

int config_read_bool(const ConfigParse *p, const cJSON *obj, const char *key, int dflt, int *out) {
    const cJSON *item = config_get(obj, key);
    if (!item) {
        *out = dflt;
        return 0;
    }
    if (!cJSON_IsBool(item))
        return swan_error_set(p->err, "%s: %s must be true or false", p->path, key);
    *out = cJSON_IsTrue(item);
    return 0;
}
