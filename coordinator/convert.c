/* swan convert: a SWAN model from a Llama-family checkpoint, the SWAN-GPT
 * paper's first conversion step. The layers follow a pattern of S (sliding
 * window with RoPE) and N (global without RoPE), the config is rewritten in
 * swan's dialect (layer_types, no_rope_layers, sliding_window, the optional
 * scaling) and the weights and tokenizer are linked, not rewritten: the
 * same weights read with a different attention. Quality then needs
 * continued pre-training; convert does not train. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "model_dir.h"
#include "model_paths.h"

typedef struct {
    const char *from, *pattern, *out_dir;
    long window;
    double log_a; /* 0: no scaling */
} ConvertOptions;

static const char convert_usage[] =
    "usage: swan convert --from LLAMA_DIR --pattern SSSN --window W [--scaling log_a:A] OUT_DIR\n"
    "Writes a SWAN model: the layers of LLAMA_DIR (model_type llama, every layer global with\n"
    "RoPE) follow the pattern, repeated (S: sliding window of W tokens with RoPE, N: global\n"
    "without RoPE); --scaling log_a:A sets s(p) = ln(p + A) / ln(A) on the N layers.\n"
    "OUT_DIR (new, or empty) gets the rewritten config.json and links to the weights and\n"
    "tokenizer (hard links, else symbolic links, else copies). Quality needs continued\n"
    "pre-training: convert does not train.\n";

/* log_a:A with A > 1 */
static int parse_scaling(const char *text, double *a) {
    const char *prefix = "log_a:";
    if (!text || strncmp(text, prefix, strlen(prefix)) != 0) {
        cli_error("convert: --scaling '%s' is not log_a:A", text ? text : "");
        return -1;
    }
    if (cli_parse_double("--scaling log_a", text + strlen(prefix), 1, 1e15, a) != 0) return -1;
    if (*a > 1) return 0;
    cli_error("convert: --scaling log_a:A needs A > 1 (ln(A) is the divisor)");
    return -1;
}

static int parse_convert_options(int argc, char **argv, ConvertOptions *o) {
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(convert_usage, stdout);
            exit(0);
        }
        int rc = 0, takes = 1;
        if (!strcmp(a, "--from") || !strcmp(a, "--pattern")) {
            if (!val) rc = (cli_error("convert: %s needs a value", a), -1);
            *(a[2] == 'f' ? &o->from : &o->pattern) = val;
        } else if (!strcmp(a, "--window")) {
            rc = cli_parse_long(a, val, 1, 2147483647L, &o->window);
        } else if (!strcmp(a, "--scaling")) {
            rc = parse_scaling(val, &o->log_a);
        } else if (a[0] == '-' && a[1]) {
            rc = (cli_error("convert: unknown option '%s' (try 'swan convert --help')", a), -1);
        } else if (o->out_dir) {
            rc = (cli_error("convert: one OUT_DIR only ('%s' and '%s')", o->out_dir, a), -1);
        } else {
            o->out_dir = a, takes = 0;
        }
        if (rc != 0) return -1;
        i += takes;
    }
    const char *missing = !o->from      ? "--from LLAMA_DIR"
                          : !o->pattern ? "--pattern"
                          : !o->window  ? "--window W"
                          : !o->out_dir ? "OUT_DIR"
                                        : NULL;
    if (missing) return cli_error("convert: %s missing (try 'swan convert --help')", missing), -1;
    if (!*o->pattern || strspn(o->pattern, "SN") != strlen(o->pattern))
        return cli_error("convert: --pattern '%s' must be letters S (window) and N (global NoPE)",
                         o->pattern),
               -1;
    return 0;
}

/* The source must be a plain Llama: convert never reads a model that
 * already has windows or NoPE layers as if it had none. */
static int check_source(const ConvertOptions *o, const SwanConfig *c) {
    size_t plen = strlen(o->pattern);
    if (c->family != FAMILY_LLAMA)
        return cli_error("convert: %s is not a llama-family checkpoint (model_type llama)", o->from),
               -1;
    for (int i = 0; i < c->num_layers; i++)
        if (c->layer_kind[i] != LAYER_GLOBAL || !c->layer_rope[i])
            return cli_error("convert: %s: layer %d is already a %s layer (convert starts from every "
                             "layer global with RoPE)",
                             o->from, i, c->layer_kind[i] != LAYER_GLOBAL ? "window" : "NoPE"),
                   -1;
    if (c->num_layers % (int)plen != 0)
        return cli_error("convert: --pattern %s (%zu layers) does not divide the %d layers of %s",
                         o->pattern, plen, c->num_layers, o->from),
               -1;
    return 0;
}

/* Keys of other layouts and scalings that would contradict the new one. */
static const char *const replaced_keys[] = {"layer_types",
                                            "no_rope_layers",
                                            "sliding_window",
                                            "sliding_window_pattern",
                                            "use_sliding_window",
                                            "max_window_layers",
                                            "no_rope_layer_interval",
                                            "swan_attn_scaling",
                                            "attn_temperature_tuning",
                                            "floor_scale",
                                            "attn_scale"};

static int add_layout(cJSON *root, const ConvertOptions *o, int nlayers) {
    cJSON *types = cJSON_AddArrayToObject(root, "layer_types");
    cJSON *rope = cJSON_AddArrayToObject(root, "no_rope_layers");
    int ok = types && rope && cJSON_AddNumberToObject(root, "sliding_window", (double)o->window);
    size_t plen = strlen(o->pattern);
    for (int i = 0; ok && i < nlayers; i++) {
        int window = o->pattern[(size_t)i % plen] == 'S';
        ok = cJSON_AddItemToArray(types, cJSON_CreateString(window ? "sliding_attention"
                                                                   : "full_attention")) &&
             cJSON_AddItemToArray(rope, cJSON_CreateNumber(window));
    }
    if (ok && o->log_a > 0) {
        cJSON *s = cJSON_AddObjectToObject(root, "swan_attn_scaling");
        ok = s && cJSON_AddStringToObject(s, "type", "log_a") &&
             cJSON_AddNumberToObject(s, "a", o->log_a);
    }
    return ok ? 0 : -1;
}

static int write_converted(const ConvertOptions *o, int nlayers, SwanError *err) {
    cJSON *root = model_dir_read_config(o->from, err);
    if (!root) return -1;
    for (size_t k = 0; k < sizeof replaced_keys / sizeof *replaced_keys; k++)
        cJSON_DeleteItemFromObjectCaseSensitive(root, replaced_keys[k]);
    int rc = add_layout(root, o, nlayers) != 0 ? swan_error_set(err, "out of memory")
                                               : model_dir_write_config(o->out_dir, root, err);
    cJSON_Delete(root);
    return rc != 0 ? -1 : model_dir_link_files(o->from, o->out_dir, err);
}

/* Reads the result back as swan will: the layout must be the one asked. */
static int check_result(const ConvertOptions *o, SwanError *err) {
    SwanConfig c;
    if (swan_config_load_dir(o->out_dir, &c, err) != 0) return -1;
    size_t plen = strlen(o->pattern);
    int bad = -1;
    for (int i = 0; i < c.num_layers && bad < 0; i++) {
        int window = o->pattern[(size_t)i % plen] == 'S';
        if ((c.layer_kind[i] == LAYER_WINDOW) != window || c.layer_rope[i] != window) bad = i;
    }
    swan_config_free(&c);
    if (bad >= 0)
        return swan_error_set(err, "%s: layer %d did not come out as the pattern says", o->out_dir,
                              bad);
    return 0;
}

int cmd_convert(int argc, char **argv) {
    ConvertOptions o;
    SwanConfig src;
    SwanError err;
    if (parse_convert_options(argc, argv, &o) != 0 || cli_load_config(o.from, &src) != 0) return 1;
    int nlayers = src.num_layers, rc = check_source(&o, &src);
    swan_config_free(&src);
    if (rc != 0) return 1;
    if (model_dir_create(o.out_dir, &err) != 0) {
        cli_error("convert: %s", err.msg);
        return 1;
    }
    if (write_converted(&o, nlayers, &err) != 0 || check_result(&o, &err) != 0) {
        cli_error("convert: %s", err.msg);
        return 1;
    }
    fprintf(stderr,
            "swan: convert: %s: %d layers, pattern %s, window %ld, RoPE off on the global layers, %s\n"
            "swan: convert: the weights were trained for every layer global with RoPE: quality needs "
            "continued pre-training (the SWAN-GPT paper used about 2%% of the original tokens)\n",
            o.out_dir, nlayers, o.pattern, o.window, o.log_a > 0 ? "scaling log_a" : "no scaling");
    return 0;
}
