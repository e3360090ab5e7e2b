/* swan export-gguf MODEL_DIR OUT.gguf [--dtype f32|bf16]: the same weights
 * as a GGUF file that llama.cpp runs, as its architecture "granite_swa":
 * Llama blocks with a per-layer sliding-window pattern and a per-layer RoPE
 * pattern. Its extras are set so they do nothing: attention sinks at -1e30
 * (exp(sink) adds 0 to each softmax), logit_scale 1, no residual, embedding
 * or attention multipliers (so the scale is 1/sqrt(head_dim)). llama.cpp
 * rotates adjacent pairs for this architecture where Hugging Face rotates
 * halves, so q and k rows are permuted within each head, as llama.cpp's own
 * converter does (harmless on NoPE layers: q and k move alike).
 *
 * The vocabulary is the model's tokenizer (gguf_vocab.c): MODEL_DIR's
 * tokenizer.json, --tokenizer PATH, or the byte tokenizer (--tokenizer bytes,
 * and the default for a MODEL_DIR without tokenizer.json). Dynamic NoPE scaling has no
 * llama.cpp counterpart: with it on, the file matches swan only up to the
 * scaling's training length, and a warning says so. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "gguf_vocab.h"
#include "gguf_writer.h"
#include "half_float.h"
#include "matrix.h"
#include "model_paths.h"
#include "safetensors.h"

#define ARCH "granite_swa"
#define FULL_WINDOW (1u << 30) /* a window no context reaches: full attention */

typedef struct {
    const char *model_dir, *out_path;
    const char *tokenizer; /* NULL: MODEL_DIR/tokenizer.json if there, else bytes */
    int bf16;
} ExportOptions;

static const char export_usage[] =
    "usage: swan export-gguf MODEL_DIR OUT.gguf [--dtype f32|bf16] [--tokenizer bytes|PATH]\n"
    "  writes the model as a GGUF file for llama.cpp (architecture granite_swa);\n"
    "  --dtype: matrices as F32 (default, exact) or BF16; norms stay F32\n"
    "  --tokenizer: the vocabulary (default MODEL_DIR/tokenizer.json, or bytes\n"
    "               where there is none)\n";

static int parse_export_options(int argc, char **argv, ExportOptions *o) {
    *o = (ExportOptions){0};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(export_usage, stdout);
            return 1;
        }
        if (!strcmp(argv[i], "--dtype")) {
            const char *v = i + 1 < argc ? argv[++i] : "";
            if (strcmp(v, "f32") && strcmp(v, "bf16")) {
                cli_error("export-gguf: --dtype: '%s' is not f32 or bf16", v);
                return -1;
            }
            o->bf16 = !strcmp(v, "bf16");
        } else if (!strcmp(argv[i], "--tokenizer")) {
            if (i + 1 >= argc) {
                cli_error("export-gguf: --tokenizer needs bytes or a tokenizer.json");
                return -1;
            }
            o->tokenizer = argv[++i];
        } else if (argv[i][0] == '-') {
            cli_error("export-gguf: unknown option '%s'", argv[i]);
            return -1;
        } else if (!o->model_dir) {
            o->model_dir = argv[i];
        } else if (!o->out_path) {
            o->out_path = argv[i];
        } else {
            cli_error("export-gguf: one MODEL_DIR and one OUT.gguf only ('%s' is extra)", argv[i]);
            return -1;
        }
    }
    if (!o->model_dir || !o->out_path) {
        cli_error("export-gguf: needs MODEL_DIR and OUT.gguf (see swan export-gguf --help)");
        return -1;
    }
    return 0;
}

/* One tensor of the output: where it comes from and how it is written. */
typedef struct {
    char name[96];
    const StTensor *src; /* NULL: the attention sinks, -1e30 each */
    int64_t rows, cols;  /* rows 0: a vector of cols */
    int permute_heads;   /* > 0: rows permuted within this many heads */
    int type;            /* GGUF_TYPE_F32 or GGUF_TYPE_BF16 */
} OutTensor;

/* Hugging Face's rotate-half row h*hd + j*hd/2 + i becomes ggml's adjacent
 * pair row h*hd + 2i + j. */
static int64_t source_row(const OutTensor *o, int64_t r) {
    if (o->permute_heads <= 0) return r;
    int64_t hd = o->rows / o->permute_heads, h = r / hd, w = r % hd;
    return h * hd + (w % 2) * (hd / 2) + w / 2;
}

static int write_rows(FILE *f, const OutTensor *o, float *row, uint16_t *half) {
    int64_t rows = o->rows ? o->rows : 1, cols = o->cols;
    MatDtype dt = !o->src                   ? MAT_F32
                  : o->src->dtype == ST_F32 ? MAT_F32
                  : o->src->dtype == ST_F16 ? MAT_F16
                                            : MAT_BF16;
    Matrix m = {dt, o->src ? o->src->data : NULL, (int)rows, (int)cols};
    for (int64_t r = 0; r < rows; r++) {
        int64_t sr = source_row(o, r);
        if (!o->src)
            for (int64_t c = 0; c < cols; c++) row[c] = -1e30f;
        else
            matrix_row(&m, (int)sr, row);
        if (o->type == GGUF_TYPE_F32) {
            if (fwrite(row, 4, (size_t)cols, f) != (size_t)cols) return -1;
            continue;
        }
        if (dt == MAT_BF16) /* BF16 to BF16 keeps the stored bits */
            memcpy(half, (const unsigned char *)o->src->data + (size_t)sr * cols * 2, (size_t)cols * 2);
        else
            for (int64_t c = 0; c < cols; c++) half[c] = half_f32_to_bf16(row[c]);
        if (fwrite(half, 2, (size_t)cols, f) != (size_t)cols) return -1;
    }
    return 0;
}

/* Adds a tensor taken from the checkpoint, checking its shape. */
static int add(OutTensor *list, int *n, SafeTensors *st, const char *src, const char *dst, int64_t rows,
               int64_t cols, int permute_heads, int type, SwanError *err) {
    OutTensor *o = &list[(*n)++];
    *o = (OutTensor){.rows = rows,
                     .cols = cols,
                     .permute_heads = permute_heads,
                     .type = rows ? type : GGUF_TYPE_F32};
    snprintf(o->name, sizeof o->name, "%s", dst);
    if (!src) return 0;
    if (st_get(st, src, &o->src, err) != 0) return -1;
    int ok = o->src->dtype != ST_OTHER &&
             (rows ? o->src->ndim == 2 && o->src->shape[0] == rows && o->src->shape[1] == cols
                   : o->src->ndim == 1 && o->src->shape[0] == cols);
    if (!ok)
        return swan_error_set(err, "%s: tensor %s has a dtype or shape this model cannot have",
                              o->src->file, src);
    return 0;
}

static int collect_tensors(const SwanConfig *c, SafeTensors *st, int type, OutTensor *ts, int *nt,
                           SwanError *err) {
    int64_t d = c->hidden_size, qd = (int64_t)c->num_heads * c->head_dim,
            kvd = (int64_t)c->num_kv_heads * c->head_dim;
    if (add(ts, nt, st, "model.embed_tokens.weight", "token_embd.weight", c->vocab_size, d, 0, type,
            err) ||
        add(ts, nt, st, "model.norm.weight", "output_norm.weight", 0, d, 0, type, err) ||
        (!c->tie_word_embeddings &&
         add(ts, nt, st, "lm_head.weight", "output.weight", c->vocab_size, d, 0, type, err)))
        return -1;
    for (int l = 0; l < c->num_layers; l++) {
        struct {
            const char *src, *dst;
            int64_t rows, cols;
            int perm;
        } parts[] = {
            {"input_layernorm", "attn_norm", 0, d, 0},
            {"self_attn.q_proj", "attn_q", qd, d, c->num_heads},
            {"self_attn.k_proj", "attn_k", kvd, d, c->num_kv_heads},
            {"self_attn.v_proj", "attn_v", kvd, d, 0},
            {"self_attn.o_proj", "attn_output", d, qd, 0},
            {NULL, "attn_sinks", 0, c->num_heads, 0},
            {"post_attention_layernorm", "ffn_norm", 0, d, 0},
            {"mlp.gate_proj", "ffn_gate", c->intermediate_size, d, 0},
            {"mlp.up_proj", "ffn_up", c->intermediate_size, d, 0},
            {"mlp.down_proj", "ffn_down", d, c->intermediate_size, 0},
        };
        for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++) {
            char src[128], dst[96];
            snprintf(src, sizeof src, "model.layers.%d.%s.weight", l, parts[k].src ? parts[k].src : "");
            snprintf(dst, sizeof dst, "blk.%d.%s.weight", l, parts[k].dst);
            if (add(ts, nt, st, parts[k].src ? src : NULL, dst, parts[k].rows, parts[k].cols,
                    parts[k].perm, type, err))
                return -1;
        }
    }
    return 0;
}

static int write_metadata(GgufWriter *g, const SwanConfig *c, int bf16) {
    unsigned char *swa = calloc((size_t)c->num_layers, 1);
    if (!swa) return -1;
    int any = 0;
    for (int l = 0; l < c->num_layers; l++) any |= swa[l] = c->layer_kind[l] == LAYER_WINDOW;
    /* llama.cpp wants some sliding layer: layer 0 then slides over a window
     * no context reaches, which is full attention. */
    if (!any) swa[0] = 1;
    gguf_str(g, "general.architecture", ARCH);
    gguf_str(g, "general.name", "swan");
    gguf_u32(g, "general.alignment", GGUF_ALIGN);
    gguf_u32(g, "general.file_type", bf16 ? 32 : 0); /* MOSTLY_BF16 or ALL_F32 */
    gguf_u32(g, ARCH ".vocab_size", (uint32_t)c->vocab_size);
    gguf_u32(g, ARCH ".context_length", (uint32_t)c->max_position_embeddings);
    gguf_u32(g, ARCH ".embedding_length", (uint32_t)c->hidden_size);
    gguf_u32(g, ARCH ".block_count", (uint32_t)c->num_layers);
    gguf_u32(g, ARCH ".feed_forward_length", (uint32_t)c->intermediate_size);
    gguf_u32(g, ARCH ".attention.head_count", (uint32_t)c->num_heads);
    gguf_u32(g, ARCH ".attention.head_count_kv", (uint32_t)c->num_kv_heads);
    gguf_u32(g, ARCH ".attention.key_length", (uint32_t)c->head_dim);
    gguf_u32(g, ARCH ".attention.value_length", (uint32_t)c->head_dim);
    gguf_u32(g, ARCH ".rope.dimension_count", (uint32_t)c->head_dim);
    gguf_f32(g, ARCH ".rope.freq_base", (float)c->rope_theta);
    gguf_f32(g, ARCH ".attention.layer_norm_rms_epsilon", c->rms_norm_eps);
    gguf_u32(g, ARCH ".attention.sliding_window", any ? (uint32_t)c->sliding_window : FULL_WINDOW);
    gguf_bool_array(g, ARCH ".attention.sliding_window_pattern", swa, c->num_layers);
    gguf_bool_array(g, ARCH ".attention.rope_pattern", c->layer_rope, c->num_layers);
    gguf_f32(g, ARCH ".logit_scale", 1.0f);
    free(swa);
    return 0;
}

static int write_file(const char *path, GgufWriter *g, const OutTensor *ts, int nt, int widest) {
    FILE *f = fopen(path, "wb");
    float *row = malloc(sizeof(float) * (size_t)widest);
    uint16_t *half = malloc(sizeof(uint16_t) * (size_t)widest);
    int rc = f && row && half ? gguf_write_head(g, f) : -1;
    for (int i = 0; rc == 0 && i < nt; i++) {
        uint64_t bytes = (uint64_t)(ts[i].rows ? ts[i].rows : 1) * ts[i].cols *
                         (ts[i].type == GGUF_TYPE_F32 ? 4 : 2);
        rc = write_rows(f, &ts[i], row, half) == 0 && gguf_pad(f, bytes) == 0 ? 0 : -1;
    }
    if (f && fclose(f) != 0) rc = -1;
    free(row);
    free(half);
    return rc;
}

static int export_model(const ExportOptions *o, const SwanConfig *c, const Tokenizer *tok) {
    SafeTensors *st = NULL;
    SwanError err;
    GgufWriter g = {0};
    int nt = 0, rc = -1, type = o->bf16 ? GGUF_TYPE_BF16 : GGUF_TYPE_F32;
    OutTensor *ts = calloc(3 + 10 * (size_t)c->num_layers, sizeof *ts);
    if (!ts || st_open_dir(o->model_dir, &st, &err) != 0 ||
        collect_tensors(c, st, type, ts, &nt, &err) != 0) {
        cli_error("%s", ts ? err.msg : "out of memory");
        goto done;
    }
    int widest = c->hidden_size > c->intermediate_size ? c->hidden_size : c->intermediate_size;
    if (c->num_heads * c->head_dim > widest) widest = c->num_heads * c->head_dim;
    for (int i = 0; i < nt; i++) {
        int64_t ne[2] = {ts[i].cols, ts[i].rows};
        gguf_tensor(&g, ts[i].name, ts[i].rows ? 2 : 1, ne, ts[i].type);
    }
    if (write_metadata(&g, c, o->bf16) != 0 || gguf_write_vocabulary(&g, c, tok, &err) != 0) {
        cli_error("export-gguf: %s", err.msg);
        goto done;
    }
    errno = 0;
    if (write_file(o->out_path, &g, ts, nt, widest) != 0) {
        cli_error("%s: cannot write the GGUF file: %s", o->out_path,
                  errno ? strerror(errno) : "out of memory");
        remove(o->out_path);
        goto done;
    }
    rc = 0;
done:
    gguf_writer_free(&g);
    if (st) st_close(st);
    free(ts);
    return rc;
}

int cmd_export_gguf(int argc, char **argv) {
    ExportOptions o;
    int parsed = parse_export_options(argc, argv, &o);
    if (parsed != 0) return parsed > 0 ? 0 : 2;
    SwanConfig c;
    if (cli_load_config(o.model_dir, &c) != 0) return 1;
    if (swan_config_scaling_on(&c))
        fprintf(stderr,
                "swan: warning: llama.cpp has no dynamic NoPE attention scaling: %s matches this model "
                "only at the positions where s(p) = 1\n",
                o.out_path);
    if (c.rope_scaling.kind != ROPE_SCALING_NONE || c.family == FAMILY_COHERE2) {
        fprintf(stderr, "swan: error: export-gguf writes Llama blocks without rope_scaling only\n");
        swan_config_free(&c);
        return 1;
    }
    /* The byte tokenizer where the model has none of its own (random
     * benchmark models); any other choice by the one rule of every command. */
    char path[4096];
    SwanError err;
    const char *choice = o.tokenizer;
    if (!choice && (model_path(path, sizeof path, o.model_dir, MODEL_TOKENIZER_FILE, &err) != 0 ||
                    access(path, F_OK) != 0))
        choice = "bytes";
    Tokenizer *tok = NULL;
    int rc = cli_load_tokenizer(choice, o.model_dir, &tok) == 0 ? export_model(&o, &c, tok) : -1;
    tokenizer_free(tok);
    if (rc == 0)
        fprintf(stderr, "swan: wrote %s (%s, %d layers, architecture " ARCH ")\n", o.out_path,
                o.bf16 ? "BF16" : "F32", c.num_layers);
    swan_config_free(&c);
    return rc == 0 ? 0 : 1;
}
