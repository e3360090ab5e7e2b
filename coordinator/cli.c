#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "model_paths.h"

void cli_error(const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    for (char *c = buf; *c; c++)
        if (*c == '\n') *c = ' ';
    /* On a terminal, first wipe a progress line that may be on screen. */
    fprintf(stderr, "%sswan: error: %s\n", isatty(STDERR_FILENO) ? "\r\033[K" : "", buf);
}

int cli_parse_long(const char *opt, const char *text, long lo, long hi, long *out) {
    if (!text) {
        cli_error("%s needs a value", opt);
        return -1;
    }
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < lo || v > hi) {
        cli_error("%s: '%s' is not a whole number in [%ld, %ld]", opt, text, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_double(const char *opt, const char *text, double lo, double hi, double *out) {
    char *end;
    errno = 0;
    double v = text ? strtod(text, &end) : 0.0;
    if (!text || errno || end == text || *end || !(v >= lo && v <= hi)) {
        cli_error("%s: '%s' is not a number in [%g, %g]", opt, text ? text : "", lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_size(const char *opt, const char *text, double *out) {
    static const char units[] = "KMGT";
    char *end = NULL;
    errno = 0;
    double v = text && *text >= '0' && *text <= '9' ? strtod(text, &end) : -1;
    double scale = 1;
    const char *u = end && *end ? strchr(units, toupper((unsigned char)*end)) : NULL;
    if (u) {
        for (const char *k = units; k <= u; k++) scale *= 1024;
        end++;
        if (*end == 'i' && end[1] == 'B')
            end += 2;
        else if (*end == 'B')
            end++;
    }
    if (v < 1 || errno || !end || *end || v * scale > 1e18) {
        cli_error("%s: '%s' is not a size (bytes, or a number with K, M, G or T)", opt,
                  text ? text : "");
        return -1;
    }
    *out = v * scale;
    return 0;
}

int cli_parse_rate(const char *opt, const char *text, double *bits) {
    char *end = NULL;
    double v = text ? strtod(text, &end) : 0;
    double unit = !end                           ? 0
                  : !strcmp(end, "gbit")         ? 1e9
                  : !strcmp(end, "mbit")         ? 1e6
                  : !strcmp(end, "kbit")         ? 1e3
                  : !strcmp(end, "bit") || !*end ? 1
                                                 : 0;
    if (!end || end == text || !unit || !(v > 0)) {
        cli_error("%s '%s': give a rate such as 10gbit, 1gbit or 100mbit", opt, text ? text : "");
        return -1;
    }
    *bits = v * unit;
    return 0;
}

int cli_parse_wire_dtype(const char *opt, const char *text, int *bf16) {
    if (text && (!strcmp(text, "f32") || !strcmp(text, "bf16"))) {
        *bf16 = !strcmp(text, "bf16");
        return 0;
    }
    cli_error("%s: '%s' is not f32 or bf16", opt, text ? text : "");
    return -1;
}

int cli_parse_compute(const char *opt, const char *text, ComputeMode *mode) {
    if (text && compute_mode_parse(text, mode) == 0) return 0;
    cli_error("%s: '%s' is not exact or bf16", opt, text ? text : "");
    return -1;
}

int cli_set_compute(ComputeMode mode) {
    if (matmul_set_compute(mode) == 0) return 0;
    cli_error(
        "--compute %s needs the AVX512-BF16 instructions, which this CPU lacks (use --compute exact)",
        compute_mode_name(mode));
    return -1;
}

double cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int cli_load_config(const char *model_dir, SwanConfig *cfg) {
    SwanError err;
    if (swan_config_load_dir(model_dir, cfg, &err) == 0) return 0;
    cli_error("%s", err.msg);
    return -1;
}

int cli_tokenizer_is_bytes(const char *choice) {
    return choice && !strcmp(choice, "bytes");
}

int cli_load_tokenizer(const char *choice, const char *model_dir, Tokenizer **t) {
    SwanError err;
    char path[4096];
    const char *file = choice;
    if (cli_tokenizer_is_bytes(choice)) {
        if (tokenizer_bytes(t, &err) == 0) return 0;
        cli_error("%s", err.msg);
        return -1;
    }
    if (!file) {
        if (model_path(path, sizeof path, model_dir, MODEL_TOKENIZER_FILE, &err) != 0) {
            cli_error("%s", err.msg);
            return -1;
        }
        if (access(path, F_OK) != 0) {
            cli_error("%s: no tokenizer.json here (--tokenizer bytes reads raw bytes, "
                      "--tokenizer PATH takes another tokenizer.json)",
                      model_dir);
            return -1;
        }
        file = path;
    }
    if (tokenizer_load(file, t, &err) == 0) return 0;
    cli_error("%s", err.msg);
    return -1;
}

int cli_check_bytes_fit(const char *choice, const char *model_dir, const SwanConfig *cfg) {
    if (!cli_tokenizer_is_bytes(choice) || cfg->vocab_size >= 256) return 0;
    cli_error("%s/%s: vocab_size %d cannot hold the 256 byte tokens of --tokenizer bytes", model_dir,
              MODEL_CONFIG_FILE, cfg->vocab_size);
    return -1;
}
