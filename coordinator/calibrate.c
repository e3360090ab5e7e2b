/* swan bench calibrate: measures, in this process on one core (or
 * --threads), the rates the cost model of `swan plan --project` needs: the
 * weight products' GFLOP/s on a chunk of rows, and the attention GFLOP/s of a
 * window layer and of a global layer over a document of --context tokens,
 * each from one real layer of MODEL_DIR run as a stage would run it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calibration.h"
#include "chunks.h"
#include "cli.h"
#include "commands.h"
#include "cost_model.h"
#include "forward.h"
#include "kernels.h"
#include "matrix.h"
#include "model.h"
#include "stage_step.h"

static const char calibrate_usage[] =
    "usage: swan bench calibrate -m MODEL_DIR [--context LEN] [--chunk C] [--threads T]\n"
    "                            [--message-seconds S] [--byte-seconds B] [-o FILE]\n"
    "  measures GEMM and attention rates (window and global) on this machine and\n"
    "  writes them to FILE (default " CALIBRATION_DEFAULT_FILE "), which\n"
    "  'swan plan --project' reads; --context 4096, --chunk 256, --threads 1;\n"
    "  --message-seconds, --byte-seconds: what a message between ranks costs, fixed\n"
    "  and per byte, as measured between this machine's hosts (launch/bench-scaling\n"
    "  does, from a pipeline of a model whose layers cost almost nothing); default\n"
    "  150e-6 and 2e-9; --host-byte-seconds: what a byte costs the cores more when it\n"
    "  crosses to another host (bench-scaling measures it per link rate); default 0\n";

typedef struct {
    const char *model_dir, *out;
    long context, chunk, threads;
    double message_seconds, byte_seconds, host_byte_seconds;
} CalibrateOptions;

static int parse_option(int argc, char **argv, int *i, CalibrateOptions *o) {
    const char *a = argv[*i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
        fputs(calibrate_usage, stdout);
        exit(0);
    }
    const char *val = *i + 1 < argc ? argv[*i + 1] : NULL;
    if (!val) {
        cli_error("bench calibrate: %s needs a value", a);
        return -1;
    }
    (*i)++;
    if (!strcmp(a, "-m") || !strcmp(a, "--model"))
        o->model_dir = val;
    else if (!strcmp(a, "-o"))
        o->out = val;
    else if (!strcmp(a, "--context"))
        return cli_parse_long(a, val, 1, 1L << 24, &o->context);
    else if (!strcmp(a, "--chunk"))
        return cli_parse_long(a, val, 1, 1 << 16, &o->chunk);
    else if (!strcmp(a, "--threads"))
        return cli_parse_long(a, val, 1, 4096, &o->threads);
    else if (!strcmp(a, "--message-seconds"))
        return cli_parse_double(a, val, 1e-9, 10, &o->message_seconds);
    else if (!strcmp(a, "--byte-seconds"))
        return cli_parse_double(a, val, 0, 1, &o->byte_seconds);
    else if (!strcmp(a, "--host-byte-seconds"))
        return cli_parse_double(a, val, 0, 1, &o->host_byte_seconds);
    else {
        cli_error("bench calibrate: unknown option '%s'", a);
        return -1;
    }
    return 0;
}

/* Attention FLOPs per token of layer i over a document of n tokens. */
static double attention_flops(const SwanConfig *c, int i, long n) {
    StageWork w = cost_stage_work(c, i, i + 1, n, 0);
    return w.window_attn + w.global_attn;
}

/* Seconds per token of the weight products of one layer at o->chunk rows. */
static double time_products(const LayerWeights *lw, const SwanConfig *c, long chunk) {
    const Matrix *ms[] = {&lw->wq, &lw->wk, &lw->wv, &lw->wo, &lw->w_gate, &lw->w_up, &lw->w_down};
    int widest = c->intermediate_size > c->hidden_size ? c->intermediate_size : c->hidden_size;
    if (c->num_heads * c->head_dim > widest) widest = c->num_heads * c->head_dim;
    float *x = calloc((size_t)chunk * widest, sizeof *x);
    float *y = calloc((size_t)chunk * widest, sizeof *y);
    MatmulScratch s;
    double seconds = -1;
    if (x && y && matmul_scratch_init(&s, widest) == 0) {
        for (long i = 0; i < chunk * widest; i++) x[i] = (float)((i * 7919 % 1000) - 500) * 1e-3f;
        int reps = 0;
        double t0 = cli_now();
        do {
            for (int k = 0; k < 7; k++) matmul(y, ms[k]->rows, x, ms[k]->cols, (int)chunk, ms[k], &s);
            reps++;
        } while (cli_now() - t0 < 0.5);
        seconds = (cli_now() - t0) / ((double)reps * chunk);
        matmul_scratch_free(&s);
    }
    free(x);
    free(y);
    return seconds;
}

/* Seconds per token of layer i over a document of o->context tokens. */
static double time_layer(const SwanModel *m, Stage *st, int i, const CalibrateOptions *o) {
    const SwanConfig *c = &m->cfg;
    DocCaches dc;
    SwanError err;
    if (doc_caches_init(&dc, c, i, i + 1, &err) != 0) return -1;
    size_t rows = (size_t)o->chunk * c->hidden_size;
    float *base = malloc(rows * sizeof *base), *x = malloc(rows * sizeof *x);
    double seconds = -1;
    if (base && x) {
        for (size_t k = 0; k < rows; k++) base[k] = (float)((k * 2654435761u % 2001) - 1000) * 1e-3f;
        double t0 = cli_now();
        long done = 0;
        for (; done < o->context; done += o->chunk) {
            int n = (int)(o->context - done < o->chunk ? o->context - done : o->chunk);
            memcpy(x, base, (size_t)n * c->hidden_size * sizeof *x);
            StepIO io = {.n = n, .logits_row = -1};
            if (stage_step(st, &dc, x, &io, &err) != 0) break;
        }
        if (done >= o->context) seconds = (cli_now() - t0) / o->context;
    }
    free(base);
    free(x);
    doc_caches_free(&dc);
    return seconds;
}

/* Measures the first layer of the given kind: its products and the whole
 * layer; attention is the difference. 0 when the model has no such layer. */
static int measure_kind(const CalibrateOptions *o, const SwanConfig *cfg, LayerKind kind,
                        double *gemm_gflops, double *attn_gflops, double *by_chunk) {
    int i = 0;
    while (i < cfg->num_layers && cfg->layer_kind[i] != kind) i++;
    if (i == cfg->num_layers) return 0;
    SwanModel m;
    Stage st;
    SwanError err;
    if (swan_model_load(&m, o->model_dir, i, i + 1, 0, 0, &err) != 0) {
        cli_error("%s", err.msg);
        return -1;
    }
    int rc = -1;
    if (stage_open(&st, &m.cfg, &m.w, (int)o->chunk, &err) == 0) {
        double products = time_products(&m.w.layers[0], &m.cfg, o->chunk);
        double layer = time_layer(&m, &st, i, o);
        double attn = layer - products;
        /* Attention too small to see beside the products: call it as fast. */
        if (attn < 0.05 * layer) attn = 0.05 * layer;
        if (products > 0 && layer > 0) {
            *gemm_gflops = cost_layer_weight_flops(&m.cfg) / products * 1e-9;
            *attn_gflops = attention_flops(&m.cfg, i, o->context) / attn * 1e-9;
            for (int k = 0; k < CALIBRATION_CHUNKS; k++) {
                double t = time_products(&m.w.layers[0], &m.cfg, (long)CALIBRATION_FIRST_CHUNK << k);
                by_chunk[k] = t > 0 ? cost_layer_weight_flops(&m.cfg) / t * 1e-9 : *gemm_gflops;
            }
            fprintf(stderr, "layer %d (%s): %.1f us/token, products %.1f us/token\n", i,
                    kind == LAYER_GLOBAL ? "global" : "window", layer * 1e6, products * 1e6);
            rc = 1;
        }
        stage_close(&st);
    }
    if (rc < 0) cli_error("bench calibrate: layer %d could not be timed", i);
    swan_model_free(&m);
    return rc;
}

/* Seconds per token of the whole model (embedding, every layer, head) over
 * a document of o->context tokens, as one process scores it. */
static double time_model(const CalibrateOptions *o) {
    SwanModel m;
    Stage st;
    DocCaches dc;
    SwanError err;
    if (swan_model_load(&m, o->model_dir, 0, -1, 1, 1, &err) != 0) {
        cli_error("%s", err.msg);
        return -1;
    }
    const SwanConfig *c = &m.cfg;
    double seconds = -1;
    int *tokens = malloc(sizeof(int) * (size_t)o->context);
    double *nll = malloc(sizeof(double) * (size_t)o->context);
    if (tokens && nll && stage_open(&st, c, &m.w, (int)o->chunk, &err) == 0) {
        for (long i = 0; i < o->context; i++) tokens[i] = (int)(i * 7 % c->vocab_size);
        if (doc_caches_init(&dc, c, 0, c->num_layers, &err) == 0) {
            double t0 = cli_now();
            if (run_tokens(&st, &dc, tokens, o->context, (int)o->chunk, nll, NULL, &err) == 0)
                seconds = (cli_now() - t0) / o->context;
            doc_caches_free(&dc);
        }
        stage_close(&st);
    }
    free(tokens);
    free(nll);
    swan_model_free(&m);
    return seconds;
}

/* The median of three whole-model runs: on a shared machine one run can
 * land in a quiet or a busy moment. */
static double median_model_time(const CalibrateOptions *o) {
    double t[3];
    for (int i = 0; i < 3; i++)
        if ((t[i] = time_model(o)) <= 0) return -1;
    double lo = t[0] < t[1] ? t[0] : t[1], hi = t[0] < t[1] ? t[1] : t[0];
    return t[2] < lo ? lo : t[2] > hi ? hi : t[2];
}

/* What the rates predict for the whole model on one rank, per token. */
static double predicted_model(const SwanConfig *c, const Calibration *cal, long n, long chunk) {
    StageWork w = cost_stage_work(c, 0, c->num_layers, n, 1);
    return cost_leader_seconds(&w, cal, 1, chunk);
}

static int calibrate(const CalibrateOptions *o, const SwanConfig *cfg, Calibration *cal) {
    double gw = 0, gg = 0, tw[CALIBRATION_CHUNKS] = {0}, tg[CALIBRATION_CHUNKS] = {0};
    memset(cal, 0, sizeof *cal);
    int w = measure_kind(o, cfg, LAYER_WINDOW, &gw, &cal->attention_window_gflops, tw);
    int g = measure_kind(o, cfg, LAYER_GLOBAL, &gg, &cal->attention_global_gflops, tg);
    if (w < 0 || g < 0) return -1;
    /* A model without one kind gets the other's rate for it. */
    if (!w) cal->attention_window_gflops = cal->attention_global_gflops;
    if (!g) cal->attention_global_gflops = cal->attention_window_gflops;
    cal->gemm_gflops = w && g ? (gw + gg) / 2 : w ? gw : gg;
    /* The table is only the products' shape over chunks: pinned to the
     * rate measured at o->chunk, so the two agree there. */
    double at = w && g ? (calibration_gemm_of(tw, o->chunk) + calibration_gemm_of(tg, o->chunk)) / 2
                : w    ? calibration_gemm_of(tw, o->chunk)
                       : calibration_gemm_of(tg, o->chunk);
    for (int k = 0; k < CALIBRATION_CHUNKS; k++)
        cal->gemm_by_chunk[k] = (w && g ? (tw[k] + tg[k]) / 2
                                 : w    ? tw[k]
                                        : tg[k]) *
                                cal->gemm_gflops / at;
    /* One layer at a time runs warmer than a whole stage (its weights stay
     * in cache, nothing else runs between them): scale every rate so they
     * add up to the whole model's measured time. */
    double whole = median_model_time(o);
    if (whole <= 0) return -1;
    double scale = predicted_model(cfg, cal, o->context, o->chunk) / whole;
    fprintf(stderr, "whole model: %.1f us/token measured, %.1f from the layers' rates\n", whole * 1e6,
            whole * scale * 1e6);
    cal->gemm_gflops *= scale;
    for (int k = 0; k < CALIBRATION_CHUNKS; k++) cal->gemm_by_chunk[k] *= scale;
    cal->attention_window_gflops *= scale;
    cal->attention_global_gflops *= scale;
    cal->message_seconds = o->message_seconds;
    cal->byte_seconds = o->byte_seconds;
    cal->host_byte_seconds = o->host_byte_seconds;
    cal->context = o->context;
    cal->chunk = o->chunk;
    cal->threads = (int)o->threads;
    return 0;
}

int cmd_calibrate(int argc, char **argv) {
    CalibrateOptions o = {NULL,
                          CALIBRATION_DEFAULT_FILE,
                          4096,
                          256,
                          1,
                          CALIBRATION_MESSAGE_SECONDS,
                          CALIBRATION_BYTE_SECONDS,
                          0};
    for (int i = 1; i < argc; i++)
        if (parse_option(argc, argv, &i, &o)) return 2;
    if (!o.model_dir) {
        cli_error("bench calibrate: needs a model (-m MODEL_DIR)");
        return 2;
    }
    kernels_set_threads((int)o.threads);
    SwanConfig cfg;
    if (cli_load_config(o.model_dir, &cfg) != 0) return 1;
    Calibration cal;
    SwanError err;
    int rc = calibrate(&o, &cfg, &cal);
    if (rc == 0 && calibration_save(&cal, o.out, &err) != 0) {
        cli_error("%s", err.msg);
        rc = -1;
    }
    if (rc == 0)
        printf("gemm %.2f GFLOP/s, attention window %.2f GFLOP/s, global %.2f GFLOP/s -> %s\n",
               cal.gemm_gflops, cal.attention_window_gflops, cal.attention_global_gflops, o.out);
    swan_config_free(&cfg);
    return rc ? 1 : 0;
}
