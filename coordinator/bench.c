/* swan bench prefill|decode: the single-process engine's throughput on a
 * MODEL_DIR or on a random model of a given shape, beside what the machine
 * can do in the same run (sgemm GFLOP/s for prefill, memory read bandwidth
 * for decode), so each figure says how close the engine comes to its bound.
 * swan bench make-model DIR writes such a random model. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench_model.h"
#include "chunks.h"
#include "cli.h"
#include "commands.h"
#include "kernels.h"
#include "matrix.h"
#include "model.h"
#include "parallel.h"

typedef struct {
    const char *mode, *model_dir, *out_dir;
    BenchModelShape shape;
    long chunk, tokens, prompt, threads, repeat;
    ComputeMode compute;
    int json;
} BenchOptions;

static const char bench_usage[] =
    "usage: swan bench prefill [-m MODEL_DIR] [options]   prompt processing (scoring) speed\n"
    "       swan bench decode  [-m MODEL_DIR] [options]   one token at a time (generation)\n"
    "       swan bench make-model DIR [shape options]     writes a random model as a MODEL_DIR\n"
    "without -m a random model of the shape below is written to a temporary directory:\n"
    "  --dim D (768) --layers N (12) --heads H (12) --kv-heads KV (4) --ffn I (2048)\n"
    "  --vocab V (256) --window W (512) --dtype f32|bf16 (f32)\n"
    "  --pattern P    layer kinds repeated over the layers: S window, N global (SSSN)\n"
    "  --tokens N     prefill: document length (2048); decode: tokens generated (128)\n"
    "  --prompt P     decode: tokens before the first generated one (512)\n"
    "  --chunk C (512) --threads T (library default) --repeat R (3) --json\n"
    "  --compute exact|bf16 (exact); prefill in bf16 also scores once exactly and\n"
    "                 reports mean and max |dNLL| against it\n";

static int parse_number(BenchOptions *o, const char *a, const char *v, int *matched) {
    struct {
        const char *name;
        long *dst;
        long lo, hi;
    } opts[] = {
        {"--dim", &o->shape.dim, 8, 65536},          {"--layers", &o->shape.layers, 1, 1024},
        {"--heads", &o->shape.heads, 1, 1024},       {"--kv-heads", &o->shape.kv_heads, 1, 1024},
        {"--ffn", &o->shape.ffn, 1, 1 << 20},        {"--vocab", &o->shape.vocab, 2, 1 << 22},
        {"--window", &o->shape.window, 1, 1L << 30}, {"--chunk", &o->chunk, 1, 1 << 16},
        {"--tokens", &o->tokens, 1, 1 << 24},        {"--prompt", &o->prompt, 1, 1 << 24},
        {"--threads", &o->threads, 1, 4096},         {"--repeat", &o->repeat, 1, 1000},
    };
    for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++)
        if (!strcmp(a, opts[k].name)) {
            *matched = 1;
            return cli_parse_long(a, v, opts[k].lo, opts[k].hi, opts[k].dst);
        }
    *matched = 0;
    return 0;
}

static int parse_option(BenchOptions *o, const char *a, const char *v) {
    int matched;
    if (parse_number(o, a, v, &matched) != 0 || matched) return matched ? 0 : -1;
    if (!v) {
        cli_error("bench: %s needs a value", a);
        return -1;
    }
    if (!strcmp(a, "-m") || !strcmp(a, "--model")) {
        o->model_dir = v;
    } else if (!strcmp(a, "--dtype") && (!strcmp(v, "f32") || !strcmp(v, "bf16"))) {
        o->shape.bf16 = !strcmp(v, "bf16");
    } else if (!strcmp(a, "--pattern") && v[0] && strspn(v, "SN") == strlen(v)) {
        o->shape.pattern = v;
    } else if (!strcmp(a, "--compute")) {
        return cli_parse_compute(a, v, &o->compute);
    } else {
        cli_error("bench: unknown option '%s %s' (see swan bench --help)", a, v);
        return -1;
    }
    return 0;
}

static int parse_bench_options(int argc, char **argv, BenchOptions *o) {
    *o = (BenchOptions){.shape = bench_model_default(), .chunk = 512, .prompt = 512, .repeat = 3};
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(bench_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? -1 : 1;
    }
    o->mode = argv[1];
    int i = 2;
    if (!strcmp(o->mode, "make-model")) {
        if (argc < 3 || argv[2][0] == '-') {
            cli_error("bench make-model: needs the directory to write (swan bench make-model DIR)");
            return -1;
        }
        o->out_dir = argv[i++];
    } else if (strcmp(o->mode, "prefill") != 0 && strcmp(o->mode, "decode") != 0) {
        cli_error("bench: unknown benchmark '%s' (prefill, decode or make-model)", o->mode);
        return -1;
    }
    for (; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) {
            o->json = 1;
            continue;
        }
        if (parse_option(o, argv[i], i + 1 < argc ? argv[i + 1] : NULL) != 0) return -1;
        i++;
    }
    if (!o->tokens) o->tokens = !strcmp(o->mode, "decode") ? 128 : 2048;
    const BenchModelShape *s = &o->shape;
    if (s->dim % s->heads || (s->dim / s->heads) % 2 || s->heads % s->kv_heads) {
        cli_error("bench: dim must split into heads of even size, heads into kv-heads");
        return -1;
    }
    return 0;
}

/* ---- what the machine can do ---- */

static float *filled(size_t n) {
    float *m = malloc(sizeof(float) * n);
    for (size_t i = 0; m && i < n; i++) m[i] = (float)((i * 2654435761u) % 1000) * 1e-3f - 0.5f;
    return m;
}

/* Best of `repeat` exact F32 products of the shape a prefill chunk meets
 * most, split over the engine's threads as its own products are: through
 * OpenBLAS's cblas_sgemm, or through the engine's GEMM kernel. */
static double gemm_gflops(int m, int n, int k, int repeat, int openblas) {
    float *a = filled((size_t)m * k), *b = filled((size_t)n * k),
          *y = malloc(sizeof(float) * (size_t)m * n);
    Matrix w = {MAT_F32, b, n, k};
    MatmulScratch s = {0};
    double best = 0.0;
    ComputeMode mode = matmul_compute();
    matmul_set_compute(COMPUTE_EXACT);
    int was_openblas = matmul_force_openblas(openblas);
    if (a && b && y && matmul_scratch_init(&s, k) == 0) {
        matmul(y, n, a, k, m, &w, &s); /* warm-up */
        for (int r = 0; r < repeat; r++) {
            double t0 = cli_now();
            matmul(y, n, a, k, m, &w, &s);
            double g = 2.0 * m * n * k / (cli_now() - t0) / 1e9;
            best = g > best ? g : best;
        }
    }
    matmul_force_openblas(was_openblas);
    matmul_set_compute(mode);
    matmul_scratch_free(&s);
    free(a);
    free(b);
    free(y);
    return best;
}

#define BANDWIDTH_BYTES (256u << 20) /* well past any cache */
#define BANDWIDTH_ITEMS 64

typedef struct {
    const float *buf;
    size_t per_item;
    double sums[BANDWIDTH_ITEMS];
} ReadJob;

static void read_item(void *ctx, int item, int worker) {
    (void)worker;
    ReadJob *j = ctx;
    const float *p = j->buf + (size_t)item * j->per_item;
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (size_t i = 0; i + 4 <= j->per_item; i += 4)
        s0 += p[i], s1 += p[i + 1], s2 += p[i + 2], s3 += p[i + 3];
    j->sums[item] = s0 + s1 + s2 + s3;
}

/* Memory read bandwidth with the engine's threads, GB/s (best of repeat). */
static double read_bandwidth(int repeat) {
    size_t n = BANDWIDTH_BYTES / sizeof(float);
    ReadJob job = {filled(n), n / BANDWIDTH_ITEMS, {0}};
    double best = 0.0;
    for (int r = 0; job.buf && r <= repeat; r++) {
        double t0 = cli_now();
        parallel_for(BANDWIDTH_ITEMS, read_item, &job);
        double gbs = BANDWIDTH_BYTES / (cli_now() - t0) / 1e9;
        if (r > 0 && gbs > best) best = gbs; /* run 0 faults the pages in */
    }
    free((void *)job.buf);
    return best;
}

static double peak_rss_mib(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0;
}

/* ---- the engine ---- */

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

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void fill_tokens(int *tokens, long n, int vocab) {
    for (long i = 0; i < n; i++) tokens[i] = (int)((i * 7919) % vocab);
}

/* Seconds for one whole document, scored from a fresh cache: in all, and
 * in the attention of window and of global layers (attn may be NULL). */
static int prefill_once(Stage *s, const int *tokens, long n, int chunk, double *nll, double *secs,
                        double attn[2], SwanError *err) {
    DocCaches dc;
    double t0 = cli_now();
    int rc = doc_caches_init(&dc, s->cfg, 0, s->cfg->num_layers, err);
    if (rc == 0) rc = run_tokens(s, &dc, tokens, n, chunk, nll, NULL, err);
    *secs = cli_now() - t0;
    if (attn) attn[0] = dc.window_attention_seconds, attn[1] = dc.global_attention_seconds;
    doc_caches_free(&dc);
    return rc;
}

static int argmax(const float *v, int n) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (v[i] > v[best]) best = i;
    return best;
}

/* Seconds for `steps` greedy tokens after a prompt of `prompt` tokens. */
static int decode_once(Stage *s, const int *prompt_tokens, long prompt, long steps, int chunk,
                       float *logits, double *secs, SwanError *err) {
    DocCaches dc;
    int rc = doc_caches_init(&dc, s->cfg, 0, s->cfg->num_layers, err);
    if (rc == 0) rc = run_tokens(s, &dc, prompt_tokens, prompt, chunk, NULL, logits, err);
    double t0 = cli_now();
    for (long i = 0; rc == 0 && i < steps; i++) {
        int next = argmax(logits, s->cfg->vocab_size);
        rc = run_tokens(s, &dc, &next, 1, 1, NULL, logits, err);
    }
    *secs = cli_now() - t0;
    doc_caches_free(&dc);
    return rc;
}

typedef struct {
    double seconds, tokens_per_s, machine; /* machine: sgemm GFLOP/s or read GB/s */
    double gemm;                           /* prefill: the engine's GEMM kernel, GFLOP/s */
    double attn_us[2];   /* prefill: window and global layers' attention, us per token and layer */
    double peak_rss_mib; /* of the engine's run, before measuring the machine */
    double dnll_mean, dnll_max; /* prefill in bf16: |NLL - exact NLL| per token */
} BenchFigures;

/* Scores the document once more in exact mode and compares. */
static int compare_with_exact(Stage *s, const int *tokens, long n, int chunk, const double *nll,
                              BenchFigures *fig, SwanError *err) {
    double *exact = malloc(sizeof(double) * (size_t)n), secs;
    if (!exact) return swan_error_set(err, "out of memory");
    matmul_set_compute(COMPUTE_EXACT);
    int rc = prefill_once(s, tokens, n, chunk, exact, &secs, NULL, err);
    matmul_set_compute(COMPUTE_BF16);
    double sum = 0.0;
    for (long i = 0; rc == 0 && i + 1 < n; i++) {
        double d = fabs(nll[i] - exact[i]);
        sum += d;
        fig->dnll_max = d > fig->dnll_max ? d : fig->dnll_max;
    }
    fig->dnll_mean = n > 1 ? sum / (double)(n - 1) : 0.0;
    free(exact);
    return rc;
}

/* Median over runs of each kind's attention time, per token and layer of
 * that kind, in microseconds (0 where the model has no such layer). */
static void attention_per_token(const SwanConfig *c, long n, double *attn, int repeat, double us[2]) {
    for (int kind = 0; kind < 2; kind++) {
        int layers = 0;
        for (int l = 0; l < c->num_layers; l++) layers += (c->layer_kind[l] == LAYER_GLOBAL) == kind;
        double runs[1000];
        for (int r = 0; r < repeat; r++) runs[r] = attn[2 * r + kind];
        qsort(runs, (size_t)repeat, sizeof *runs, compare_doubles);
        us[kind] = layers ? runs[repeat / 2] / ((double)n * layers) * 1e6 : 0.0;
    }
}

static int run_engine(const BenchOptions *o, SwanModel *m, BenchFigures *fig) {
    const SwanConfig *cfg = &m->cfg;
    int decode = !strcmp(o->mode, "decode");
    long n = decode ? o->prompt : o->tokens;
    Stage s;
    SwanError err;
    int *tokens = malloc(sizeof(int) * (size_t)n);
    double *nll = malloc(sizeof(double) * (size_t)n), *secs = calloc((size_t)o->repeat, sizeof(double));
    double *attn = calloc(2 * (size_t)o->repeat, sizeof(double)); /* [repeat][window, global] */
    float *logits = malloc(sizeof(float) * (size_t)cfg->vocab_size);
    int rc = tokens && nll && secs && attn && logits ? stage_open(&s, cfg, &m->w, (int)o->chunk, &err)
                                                     : swan_error_set(&err, "out of memory");
    if (rc == 0) fill_tokens(tokens, n, cfg->vocab_size);
    for (long r = 0; rc == 0 && r < o->repeat; r++)
        rc = decode ? decode_once(&s, tokens, n, o->tokens, (int)o->chunk, logits, &secs[r], &err)
                    : prefill_once(&s, tokens, n, (int)o->chunk, nll, &secs[r], &attn[2 * r], &err);
    if (rc == 0 && !decode && o->compute == COMPUTE_BF16)
        rc = compare_with_exact(&s, tokens, n, (int)o->chunk, nll, fig, &err);
    if (rc == 0) {
        qsort(secs, (size_t)o->repeat, sizeof *secs, compare_doubles);
        fig->seconds = secs[o->repeat / 2];
        fig->tokens_per_s = o->tokens / fig->seconds;
        if (!decode) attention_per_token(cfg, n, attn, (int)o->repeat, fig->attn_us);
    }
    if (tokens && nll && secs && attn && logits) stage_close(&s);
    if (rc != 0) cli_error("bench: %s", err.msg);
    free(tokens);
    free(nll);
    free(secs);
    free(attn);
    free(logits);
    return rc;
}

static void report(const BenchOptions *o, const SwanModel *m, const BenchFigures *f) {
    const SwanConfig *c = &m->cfg;
    int decode = !strcmp(o->mode, "decode");
    double mib = m->w.bytes / 1048576.0, rss = f->peak_rss_mib;
    const char *unit = decode ? "GB/s" : "GFLOP/s";
    double engine = decode ? m->w.bytes * f->tokens_per_s / 1e9
                           : (weight_flops_per_token(c) * o->tokens + attention_flops(c, o->tokens)) /
                                 f->seconds / 1e9;
    int bf16 = o->compute == COMPUTE_BF16;
    if (o->json) {
        printf(
            "{\"bench\":\"%s\",\"simd\":\"%s\",\"gemm\":\"%s\",\"compute\":\"%s\",\"threads\":%d,"
            "\"dim\":%d,\"layers\":%d,\"vocab\":%d,\"weight_bytes\":%zu,\"chunk\":%ld,\"tokens\":%ld,"
            "\"prompt\":%ld,\"seconds_median\":%.4f,\"tokens_per_s\":%.2f,\"engine_%s\":%.2f,"
            "\"machine_%s\":%.2f,\"share_of_machine\":%.3f,\"peak_rss_bytes\":%.0f",
            o->mode, simd_kernels()->name, matmul_gemm_name(), compute_mode_name(o->compute),
            parallel_workers(), c->hidden_size, c->num_layers, c->vocab_size, m->w.bytes, o->chunk,
            o->tokens, decode ? o->prompt : 0, f->seconds, f->tokens_per_s, decode ? "gbs" : "gflops",
            engine, decode ? "read_gbs" : "sgemm_gflops", f->machine, engine / f->machine,
            rss * 1048576.0);
        if (!decode)
            printf(",\"machine_gemm_gflops\":%.2f,\"window_attention_us_per_token_layer\":%.3f,"
                   "\"global_attention_us_per_token_layer\":%.3f",
                   f->gemm, f->attn_us[0], f->attn_us[1]);
        if (!decode && bf16) printf(",\"dnll_mean\":%.6f,\"dnll_max\":%.6f", f->dnll_mean, f->dnll_max);
        printf("}\n");
        return;
    }
    printf("%-8s %-8s %7s %9s %9s %12s %14s %10s %9s\n", "bench", "simd", "threads", "weights",
           "tokens", "tokens/s", decode ? "weights GB/s" : "engine GFLOP/s",
           decode ? "read GB/s" : "sgemm", "peak RSS");
    printf("%-8s %-8s %7d %7.1fMB %9ld %12.2f %14.2f %10.2f %7.1fMB\n", o->mode, simd_kernels()->name,
           parallel_workers(), mib, o->tokens, f->tokens_per_s, engine, f->machine, rss);
    printf("the engine reaches %.0f%% of the machine's %s (%s measured in this run)\n",
           100.0 * engine / f->machine, decode ? "read bandwidth" : "cblas_sgemm rate", unit);
    if (!decode)
        printf("the engine's own exact GEMM kernel runs at %.2f GFLOP/s, %.2fx cblas_sgemm\n", f->gemm,
               f->gemm / f->machine);
    if (!decode)
        printf("attention per token and layer: window layers %.2f us, global layers %.2f us\n",
               f->attn_us[0], f->attn_us[1]);
    if (!decode && bf16)
        printf("compute bf16 against exact on this document: mean |dNLL| %.5f, max |dNLL| %.5f\n",
               f->dnll_mean, f->dnll_max);
}

/* A temporary MODEL_DIR for a random model, removed afterwards. */
static int temp_model(const BenchOptions *o, char *dir, size_t cap) {
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, cap, "%s/swan-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        cli_error("bench: cannot make a temporary directory in %s", tmp && *tmp ? tmp : "/tmp");
        return -1;
    }
    return bench_model_write(dir, &o->shape);
}

static void remove_temp_model(const char *dir) {
    char path[4200];
    snprintf(path, sizeof path, "%s/config.json", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    unlink(path);
    rmdir(dir);
}

int cmd_bench(int argc, char **argv) {
    BenchOptions o;
    int parsed = parse_bench_options(argc, argv, &o);
    if (parsed != 0) return parsed > 0 ? 0 : 2;
    if (!strcmp(o.mode, "make-model")) {
        if (bench_model_write(o.out_dir, &o.shape) != 0) return 1;
        printf("wrote %s: %ld layers, d %ld, vocab %ld, %s\n", o.out_dir, o.shape.layers, o.shape.dim,
               o.shape.vocab, o.shape.bf16 ? "BF16" : "F32");
        return 0;
    }
    kernels_set_threads((int)o.threads);
    if (cli_set_compute(o.compute) != 0) return 1;
    char dir[4096] = "";
    const char *model_dir = o.model_dir;
    if (!model_dir) {
        if (temp_model(&o, dir, sizeof dir) != 0) return 1;
        model_dir = dir;
    }
    SwanModel m;
    SwanError err;
    BenchFigures fig = {0};
    int status = 1;
    if (swan_model_load(&m, model_dir, 0, -1, 1, 1, &err) != 0) {
        cli_error("%s", err.msg);
    } else {
        if (run_engine(&o, &m, &fig) == 0) {
            fig.peak_rss_mib = peak_rss_mib(); /* before the machine's own buffers */
            int decode = !strcmp(o.mode, "decode"), rows = (int)o.chunk;
            int n = m.cfg.intermediate_size, k = m.cfg.hidden_size, r = (int)o.repeat;
            fig.machine = decode ? read_bandwidth(r) : gemm_gflops(rows, n, k, r, 1);
            fig.gemm = decode ? 0.0 : gemm_gflops(rows, n, k, r, 0);
            report(&o, &m, &fig);
            status = 0;
        }
        swan_model_free(&m);
    }
    if (*dir) remove_temp_model(dir);
    return status;
}
