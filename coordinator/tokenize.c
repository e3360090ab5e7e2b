/* swan tokenize: a file's token ids, as text (one per line) or uint32. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "file_read.h"
#include "tokenizer.h"

typedef struct {
    const char *model_dir;
    const char *out_path; /* NULL: stdout */
    const char *input;
    int u32;               /* --format u32 */
    int no_special;        /* --no-special */
    const char *tokenizer; /* --tokenizer bytes|PATH, or NULL: MODEL_DIR/tokenizer.json */
} TokenizeOptions;

static const char tokenize_usage[] =
    "usage: swan tokenize -m MODEL_DIR FILE [--format text|u32] [-o OUT]\n"
    "  -m, --model DIR     model directory; its tokenizer.json is used\n"
    "  --tokenizer bytes   every byte is one token (no -m needed)\n"
    "  --tokenizer PATH    another tokenizer.json (no -m needed)\n"
    "  --format text|u32   one decimal id per line (default), or little-endian uint32\n"
    "  --no-special        leave out the tokens the tokenizer's post-processor puts around\n"
    "                      the text (a BOS; default: added, as Hugging Face's encode does)\n"
    "  -o, --output PATH   write there instead of stdout\n";

/* 0: parsed, 1: --help shown, -1: error reported. */
static int parse_tokenize_options(int argc, char **argv, TokenizeOptions *o) {
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        int takes_value = !strcmp(a, "-m") || !strcmp(a, "--model") || !strcmp(a, "-o") ||
                          !strcmp(a, "--output") || !strcmp(a, "--format") || !strcmp(a, "--tokenizer");
        if (takes_value && !val) {
            cli_error("tokenize: %s needs a value", a);
            return -1;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(tokenize_usage, stdout);
            return 1;
        } else if (!strcmp(a, "-m") || !strcmp(a, "--model")) {
            o->model_dir = val;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            o->out_path = val;
        } else if (!strcmp(a, "--format")) {
            if (strcmp(val, "u32") != 0 && strcmp(val, "text") != 0) {
                cli_error("tokenize: --format must be text or u32, not '%s'", val);
                return -1;
            }
            o->u32 = !strcmp(val, "u32");
        } else if (!strcmp(a, "--tokenizer")) {
            o->tokenizer = val;
        } else if (!strcmp(a, "--no-special")) {
            o->no_special = 1;
        } else if (a[0] == '-' && a[1]) {
            cli_error("tokenize: unknown option '%s'", a);
            return -1;
        } else if (o->input) {
            cli_error("tokenize: one input file only ('%s' and '%s' given)", o->input, a);
            return -1;
        } else {
            o->input = a;
        }
        i += takes_value;
    }
    if (!o->input) {
        cli_error("tokenize: no input file (see swan tokenize --help)");
        return -1;
    }
    if (!o->tokenizer && !o->model_dir) {
        cli_error("tokenize: no model given (-m MODEL_DIR, or --tokenizer bytes)");
        return -1;
    }
    return 0;
}

/* Any readable file: unlike `swan score` there is one input, given on
 * purpose, so a pipe (/dev/stdin, <(cmd)) is welcome. INT_MAX bytes is what
 * tokenizer_encode takes; refusing more here spares reading it all first. */
static unsigned char *read_input(const char *path, size_t *len) {
    unsigned char *buf = NULL;
    SwanError err;
    if (swan_read_file(path, INT_MAX, &buf, len, &err) != 0) {
        cli_error("%s", err.msg);
        return NULL;
    }
    return buf;
}

static int write_ids(FILE *out, const int *ids, size_t n, int u32) {
    for (size_t i = 0; i < n; i++) {
        if (u32) {
            uint32_t v = (uint32_t)ids[i];
            unsigned char le[4] = {v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24};
            if (fwrite(le, 1, 4, out) != 4) return -1;
        } else if (fprintf(out, "%d\n", ids[i]) < 0) {
            return -1;
        }
    }
    return fflush(out) == 0 ? 0 : -1;
}

static int write_output(const TokenizeOptions *o, const int *ids, size_t n) {
    const char *name = o->out_path ? o->out_path : "stdout";
    FILE *out = o->out_path ? fopen(o->out_path, "wb") : stdout;
    if (!out) {
        cli_error("%s: %s", name, strerror(errno));
        return -1;
    }
    int rc = write_ids(out, ids, n, o->u32);
    if (out != stdout && fclose(out) != 0) rc = -1;
    if (rc != 0) cli_error("%s: write error: %s", name, strerror(errno));
    return rc;
}

int cmd_tokenize(int argc, char **argv) {
    TokenizeOptions o;
    int parsed = parse_tokenize_options(argc, argv, &o);
    if (parsed != 0) return parsed > 0 ? 0 : 2;
    Tokenizer *t = NULL;
    size_t len = 0, n = 0;
    int *ids = NULL, rc = 1;
    unsigned char *text = NULL;
    SwanError err;
    if (cli_load_tokenizer(o.tokenizer, o.model_dir, &t) != 0 || !(text = read_input(o.input, &len)))
        goto done;
    if (tokenizer_encode_ex(t, text, len, !o.no_special, &ids, &n, &err) != 0) {
        cli_error("%s: %s", o.input, err.msg);
        goto done;
    }
    rc = write_output(&o, ids, n) == 0 ? 0 : 1;
done:
    free(ids);
    free(text);
    tokenizer_free(t);
    return rc;
}
