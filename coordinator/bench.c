/* swan bench prefill: throughput of the single-process engine on a random
 * model, beside the GEMM throughput of the same BLAS in the same run, so the
 * figure says how close the engine comes to the machine's matmul speed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <sys/stat.h>

#include "chunks.h"
#include "cli.h"
#include "commands.h"
#include "kernels.h"
#include "model_paths.h"

typedef struct {
    long dim, layers, heads, kv_heads, ffn, vocab, window, chunk, tokens, threads, repeat;
} BenchOptions;

static const char bench_usage[] =
    "usage: swan bench prefill [options]   (random model, about 100M parameters by default)\n"
    "       swan bench make-model DIR [options]   (writes that random model as a MODEL_DIR)\n"
    "  --dim D (768) --layers N (12) --heads H (12) --kv-heads KV (12) --ffn I (2304)\n"
    "  --vocab V (8192) --window W (256; layers follow the pattern SSSN)\n"
    "  --chunk C (512) --tokens N (2048) --threads T (library default) --repeat R (3)\n";

static int parse_bench_options(int argc, char **argv, BenchOptions *o) {
    *o = (BenchOptions){768, 12, 12, 12, 2304, 8192, 256, 512, 2048, 0, 3};
    struct {
        const char *name;
        long *dst;
        long lo, hi;
    } opts[] = {
        {"--dim", &o->dim, 8, 65536},          {"--layers", &o->layers, 1, 1024},
        {"--heads", &o->heads, 1, 1024},       {"--kv-heads", &o->kv_heads, 1, 1024},
        {"--ffn", &o->ffn, 1, 1 << 20},        {"--vocab", &o->vocab, 2, 1 << 22},
        {"--window", &o->window, 1, 1L << 30}, {"--chunk", &o->chunk, 1, 1 << 16},
        {"--tokens", &o->tokens, 2, 1 << 24},  {"--threads", &o->threads, 1, 4096},
        {"--repeat", &o->repeat, 1, 1000},
    };
    int i = 1;
    if (argc > 1 && !strcmp(argv[1], "prefill")) i = 2;
    if (argc > 1 && !strcmp(argv[1], "make-model")) {
        i = 2;
        if (argc > 2 && argv[2][0] != '-')
            i = 3; /* DIR */
        else if (argc < 3) {
            cli_error("bench make-model: needs the directory to write (swan bench make-model DIR)");
            return -1;
        }
    }
    for (; i < argc; i += 2) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(bench_usage, stdout);
            exit(0);
        }
        size_t k = 0, nopts = sizeof opts / sizeof opts[0];
        while (k < nopts && strcmp(argv[i], opts[k].name)) k++;
        if (k == nopts) {
            cli_error("bench: unknown option '%s'", argv[i]);
            return -1;
        }
        if (cli_parse_long(argv[i], i + 1 < argc ? argv[i + 1] : NULL, opts[k].lo, opts[k].hi,
                           opts[k].dst) != 0)
            return -1;
    }
    if (o->dim % o->heads || (o->dim / o->heads) % 2 || o->heads % o->kv_heads) {
        cli_error("bench: dim must split into heads of even size, heads into kv-heads");
        return -1;
    }
    return 0;
}

static unsigned long long rng_state = 0x9E3779B97F4A7C15ull;
static float rand_uniform(void) { /* xorshift64*: reproducible, no libc state */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (float)((rng_state * 2685821657736338717ull) >> 40) / (float)(1 << 24) - 0.5f;
}

static float *random_matrix(size_t n, float scale) {
    float *m = malloc(sizeof(float) * n);
    if (m)
        for (size_t i = 0; i < n; i++) m[i] = rand_uniform() * scale;
    return m;
}

static float *ones(size_t n) {
    float *m = malloc(sizeof(float) * n);
    if (m)
        for (size_t i = 0; i < n; i++) m[i] = 1.0f;
    return m;
}

static int make_config(const BenchOptions *o, SwanConfig *c) {
    memset(c, 0, sizeof *c);
    c->vocab_size = (int)o->vocab;
    c->hidden_size = (int)o->dim;
    c->intermediate_size = (int)o->ffn;
    c->num_layers = (int)o->layers;
    c->num_heads = (int)o->heads;
    c->num_kv_heads = (int)o->kv_heads;
    c->head_dim = (int)(o->dim / o->heads);
    c->rms_norm_eps = 1e-5f;
    c->rope_theta = 10000.0;
    c->sliding_window = o->window;
    c->layer_kind = malloc(sizeof *c->layer_kind * (size_t)o->layers);
    c->layer_rope = malloc((size_t)o->layers);
    if (!c->layer_kind || !c->layer_rope) return -1;
    for (int l = 0; l < c->num_layers; l++) {
        c->layer_kind[l] = l % 4 == 3 ? LAYER_GLOBAL : LAYER_WINDOW;
        c->layer_rope[l] = c->layer_kind[l] == LAYER_WINDOW;
    }
    c->tie_word_embeddings = 1;
    c->max_position_embeddings = 512;
    c->scaling_train_len = 512;
    return 0;
}

/* Returns -1 when out of memory (partially filled weights are freed by the caller). */
static int make_weights(const SwanConfig *c, ModelWeights *w) {
    memset(w, 0, sizeof *w);
    size_t d = c->hidden_size, hd = c->head_dim, I = c->intermediate_size;
    size_t qkv = (c->num_heads + 2 * c->num_kv_heads) * hd, att = c->num_heads * hd;
    w->layer_end = c->num_layers;
    w->layers = calloc((size_t)c->num_layers, sizeof *w->layers);
    if (!w->layers) return -1;
    float s = 1.0f / sqrtf((float)d);
    for (int l = 0; l < c->num_layers; l++) {
        LayerWeights *lw = &w->layers[l];
        lw->attn_norm = ones(d);
        lw->mlp_norm = ones(d);
        lw->wqkv = random_matrix(qkv * d, s);
        lw->wo = random_matrix(d * att, s);
        lw->w_gate_up = random_matrix(2 * I * d, s);
        lw->w_down = random_matrix(d * I, 1.0f / sqrtf((float)I));
        if (!lw->attn_norm || !lw->mlp_norm || !lw->wqkv || !lw->wo || !lw->w_gate_up || !lw->w_down)
            return -1;
    }
    w->embed = random_matrix((size_t)c->vocab_size * d, 1.0f);
    w->final_norm = ones(d);
    w->lm_head = w->embed;
    return w->embed && w->final_norm ? 0 : -1;
}

/* Matmul FLOPs per token, and attention FLOPs summed over a document. */
static double weight_flops_per_token(const SwanConfig *c) {
    double d = c->hidden_size, hd = c->head_dim, I = c->intermediate_size;
    double per_layer = d * (c->num_heads + 2 * c->num_kv_heads) * hd + c->num_heads * hd * d +
                       3 * d * I;
    return 2.0 * (per_layer * c->num_layers + (double)c->vocab_size * d);
}

static double attention_flops(const SwanConfig *c, long n) {
    double total = 0.0;
    for (int l = 0; l < c->num_layers; l++)
        for (long p = 0; p < n; p++) {
            long keys = p + 1;
            if (c->layer_kind[l] == LAYER_WINDOW && keys > c->sliding_window) keys = c->sliding_window;
            total += 4.0 * c->num_heads * c->head_dim * keys;
        }
    return total;
}

static double sgemm_gflops(int m, int n, int k, int repeat) {
    float *a = random_matrix((size_t)m * k, 1.0f), *b = random_matrix((size_t)n * k, 1.0f);
    float *y = malloc(sizeof(float) * (size_t)m * n);
    double best = 0.0;
    if (a && b && y) {
        matmul_wt(y, a, b, m, k, n); /* warm-up */
        for (int r = 0; r < repeat; r++) {
            double t0 = cli_now();
            matmul_wt(y, a, b, m, k, n);
            double g = 2.0 * m * n * k / (cli_now() - t0) / 1e9;
            best = g > best ? g : best;
        }
    }
    free(a);
    free(b);
    free(y);
    return best;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void free_bench_model(SwanConfig *c, ModelWeights *w) {
    for (int l = 0; w->layers && l < c->num_layers; l++) {
        LayerWeights *lw = &w->layers[l];
        free(lw->attn_norm), free(lw->mlp_norm), free(lw->wqkv);
        free(lw->wo), free(lw->w_gate_up), free(lw->w_down);
    }
    free(w->layers);
    free(w->embed);
    free(w->final_norm);
    free(c->layer_kind);
    free(c->layer_rope);
}

/* Writes one tensor's header entry and returns the next data offset. */
static size_t header_entry(cJSON *header, const char *name, long rows, long cols, size_t offset) {
    cJSON *t = cJSON_AddObjectToObject(header, name);
    cJSON_AddStringToObject(t, "dtype", "F32");
    cJSON *shape = cJSON_AddArrayToObject(t, "shape");
    cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)rows));
    if (cols > 0) cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)cols));
    size_t bytes = sizeof(float) * (size_t)rows * (size_t)(cols > 0 ? cols : 1);
    cJSON *offs = cJSON_AddArrayToObject(t, "data_offsets");
    cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)offset));
    cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)(offset + bytes)));
    return offset + bytes;
}

typedef struct {
    char name[96];
    long rows, cols;
    float scale; /* 0: a norm gain of ones */
} TensorSpec;

static int tensor_specs(const SwanConfig *c, TensorSpec *specs) {
    long d = c->hidden_size, hd = c->head_dim, I = c->intermediate_size;
    long H = c->num_heads, KV = c->num_kv_heads;
    float s = 1.0f / sqrtf((float)d), sI = 1.0f / sqrtf((float)I);
    int n = 0;
    specs[n++] = (TensorSpec){"model.embed_tokens.weight", c->vocab_size, d, 1.0f};
    for (int l = 0; l < c->num_layers; l++) {
        struct {
            const char *part;
            long rows, cols;
            float scale;
        } parts[] = {
            {"input_layernorm", d, 0, 0},        {"self_attn.q_proj", H * hd, d, s},
            {"self_attn.k_proj", KV * hd, d, s}, {"self_attn.v_proj", KV * hd, d, s},
            {"self_attn.o_proj", d, H * hd, s},  {"post_attention_layernorm", d, 0, 0},
            {"mlp.gate_proj", I, d, s},          {"mlp.up_proj", I, d, s},
            {"mlp.down_proj", d, I, sI},
        };
        for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++) {
            snprintf(specs[n].name, sizeof specs[n].name, "model.layers.%d.%s.weight", l,
                     parts[k].part);
            specs[n].rows = parts[k].rows, specs[n].cols = parts[k].cols,
            specs[n].scale = parts[k].scale;
            n++;
        }
    }
    specs[n++] = (TensorSpec){"model.norm.weight", d, 0, 0};
    return n;
}

static int write_config(const char *dir, const SwanConfig *c) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "vocab_size", c->vocab_size);
    cJSON_AddNumberToObject(o, "hidden_size", c->hidden_size);
    cJSON_AddNumberToObject(o, "intermediate_size", c->intermediate_size);
    cJSON_AddNumberToObject(o, "num_hidden_layers", c->num_layers);
    cJSON_AddNumberToObject(o, "num_attention_heads", c->num_heads);
    cJSON_AddNumberToObject(o, "num_key_value_heads", c->num_kv_heads);
    cJSON_AddNumberToObject(o, "head_dim", c->head_dim);
    cJSON_AddNumberToObject(o, "rms_norm_eps", c->rms_norm_eps);
    cJSON_AddNumberToObject(o, "rope_theta", c->rope_theta);
    cJSON_AddNumberToObject(o, "sliding_window", (double)c->sliding_window);
    cJSON *types = cJSON_AddArrayToObject(o, "layer_types");
    for (int l = 0; l < c->num_layers; l++)
        cJSON_AddItemToArray(types,
                             cJSON_CreateString(c->layer_kind[l] == LAYER_WINDOW ? "sliding_attention"
                                                                                 : "full_attention"));
    cJSON_AddBoolToObject(o, "tie_word_embeddings", 1);
    cJSON_AddNumberToObject(o, "max_position_embeddings", c->max_position_embeddings);
    char *text = cJSON_Print(o);
    cJSON_Delete(o);
    char path[4096];
    SwanError err;
    FILE *f = model_path(path, sizeof path, dir, MODEL_CONFIG_FILE, &err) == 0 ? fopen(path, "w")
                                                                               : NULL;
    int rc = f && text && fputs(text, f) != EOF ? 0 : -1;
    if (f && fclose(f) != 0) rc = -1;
    free(text);
    return rc;
}

static int write_safetensors(const char *dir, const SwanConfig *c) {
    int count = 2 + 9 * c->num_layers;
    TensorSpec *specs = calloc((size_t)count, sizeof *specs);
    if (!specs) return -1;
    tensor_specs(c, specs);
    cJSON *header = cJSON_CreateObject();
    size_t offset = 0;
    for (int i = 0; i < count; i++)
        offset = header_entry(header, specs[i].name, specs[i].rows, specs[i].cols, offset);
    char *text = cJSON_PrintUnformatted(header);
    cJSON_Delete(header);
    char path[4096];
    SwanError err;
    FILE *f = model_path(path, sizeof path, dir, "model.safetensors", &err) == 0 ? fopen(path, "wb")
                                                                                 : NULL;
    int rc = f && text ? 0 : -1;
    uint64_t hlen = text ? strlen(text) : 0;
    if (rc == 0 && (fwrite(&hlen, 8, 1, f) != 1 || fwrite(text, 1, hlen, f) != hlen)) rc = -1;
    for (int i = 0; rc == 0 && i < count; i++) {
        size_t n = (size_t)specs[i].rows * (size_t)(specs[i].cols > 0 ? specs[i].cols : 1);
        float *data = specs[i].scale > 0 ? random_matrix(n, specs[i].scale) : ones(n);
        if (!data || fwrite(data, sizeof(float), n, f) != n) rc = -1;
        free(data);
    }
    if (f && fclose(f) != 0) rc = -1;
    free(text);
    free(specs);
    return rc;
}

static int make_model(const char *dir, const BenchOptions *o) {
    SwanConfig cfg;
    mkdir(dir, 0777); /* an existing directory is fine; a failure shows when writing */
    int rc = make_config(o, &cfg) == 0 && write_config(dir, &cfg) == 0 &&
             write_safetensors(dir, &cfg) == 0;
    free(cfg.layer_kind);
    free(cfg.layer_rope);
    if (!rc) {
        cli_error("bench make-model: cannot write %s/config.json and model.safetensors", dir);
        return 1;
    }
    printf("wrote %s: %ld layers, d %ld, vocab %ld\n", dir, o->layers, o->dim, o->vocab);
    return 0;
}

int cmd_bench(int argc, char **argv) {
    BenchOptions o;
    if (parse_bench_options(argc, argv, &o) != 0) return 2;
    if (argc > 1 && !strcmp(argv[1], "make-model")) {
        if (argv[2][0] == '-') {
            cli_error("bench make-model: needs the directory before the options");
            return 2;
        }
        return make_model(argv[2], &o);
    }
    kernels_set_threads((int)o.threads);
    SwanConfig cfg;
    ModelWeights w;
    memset(&w, 0, sizeof w);
    Stage stage;
    memset(&stage, 0, sizeof stage);
    int *tokens = malloc(sizeof(int) * (size_t)o.tokens);
    double *nll = malloc(sizeof(double) * (size_t)o.tokens);
    double *secs = malloc(sizeof(double) * (size_t)o.repeat);
    SwanError err;
    int status = 1;
    if (make_config(&o, &cfg) != 0 || make_weights(&cfg, &w) != 0 || !tokens || !nll || !secs) {
        cli_error("bench: out of memory building the random model");
        goto done;
    }
    if (stage_open(&stage, &cfg, &w, (int)o.chunk, &err) != 0) {
        cli_error("bench: %s", err.msg);
        goto done;
    }
    for (long i = 0; i < o.tokens; i++) tokens[i] = (int)((i * 7919) % o.vocab);
    for (long r = 0; r < o.repeat; r++) {
        double t0 = cli_now();
        DocCaches dc;
        int rc = doc_caches_init(&dc, &cfg, 0, cfg.num_layers, &err);
        if (rc == 0) rc = run_tokens(&stage, &dc, tokens, o.tokens, (int)o.chunk, nll, NULL, &err);
        doc_caches_free(&dc);
        if (rc != 0) {
            cli_error("bench: %s", err.msg);
            goto done;
        }
        secs[r] = cli_now() - t0;
    }
    qsort(secs, (size_t)o.repeat, sizeof *secs, compare_doubles);
    double median = secs[o.repeat / 2];
    double flops = weight_flops_per_token(&cfg) * o.tokens + attention_flops(&cfg, o.tokens);
    double params = weight_flops_per_token(&cfg) / 2.0;
    int qkv_n = (int)((o.heads + 2 * o.kv_heads) * (o.dim / o.heads));
    printf("{\"bench\":\"prefill\",\"params_matmul\":%.0f,\"dim\":%ld,\"layers\":%ld,\"vocab\":%ld,"
           "\"chunk\":%ld,\"tokens\":%ld,\"seconds_median\":%.4f,\"tokens_per_s\":%.1f,"
           "\"engine_gflops\":%.2f,\"sgemm_gflops_qkv\":%.2f,\"sgemm_gflops_mlp\":%.2f}\n",
           params, o.dim, o.layers, o.vocab, o.chunk, o.tokens, median, o.tokens / median,
           flops / median / 1e9, sgemm_gflops((int)o.chunk, qkv_n, (int)o.dim, (int)o.repeat),
           sgemm_gflops((int)o.chunk, (int)(2 * o.ffn), (int)o.dim, (int)o.repeat));
    status = 0;
done:
    stage_close(&stage);
    free_bench_model(&cfg, &w);
    free(tokens);
    free(nll);
    free(secs);
    return status;
}
