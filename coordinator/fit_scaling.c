/* swan fit-scaling: fits a of the SWAN-GPT paper's dynamic scaling
 * s(p) = ln(p + a) / ln(a) on held-out documents, by the mean NLL of the
 * tokens past the training length L (max_position_embeddings). Every value
 * tried is a real scoring run through the engine swan score uses (the
 * pipeline under mpirun): the weights load once and only the scaling
 * changes between runs. A grid over log a finds the bracket, golden-section
 * steps narrow it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "documents.h"
#include "engine.h"
#include "model_dir.h"
#include "model_paths.h"
#include "tokenizer.h"

typedef struct {
    const char *model_dir, *tokenizer, *write_dir, *stages;
    double from, to;
    long points, refine, max_tokens, chunk, threads, nope_group;
    char **inputs;
    int ninputs;
} FitOptions;

/* One value tried; a = 0 is no scaling. */
typedef struct {
    double a, past, below;
} FitPoint;

typedef struct {
    Document *docs;
    double **nll; /* [ndocs][ntokens] */
    EngineRun *runs;
    int ndocs;
    long L, longest;
    uint64_t next_doc; /* documents are new to the engine in every run */
    Engine *engine;
    FitPoint pts[256];
    int npts;
} Fit;

static const char fit_usage[] =
    "usage: swan fit-scaling -m MODEL_DIR [options] FILE...\n"
    "Fits a of \"swan_attn_scaling\": {\"type\": \"log_a\", \"a\": A} (s(p) = ln(p + a) / ln(a)\n"
    "on the global NoPE layers) by the mean NLL of the tokens past the training length\n"
    "(max_position_embeddings) in held-out documents; prints the curve beside no scaling.\n"
    "  --from A0, --to A1  the range of a searched (default 4 to 65536)\n"
    "  --points N          grid points over log a (default 8)\n"
    "  --refine K          golden-section runs around the best grid point (default 4;\n"
    "                      fewer than 2: none)\n"
    "  --max-tokens N      each document's first N tokens (default 16 x the training length)\n"
    "  --write OUT_DIR     a new model directory: config.json with the best value, the\n"
    "                      weights and tokenizer linked (MODEL_DIR is never changed)\n"
    "  --tokenizer bytes|PATH, --chunk C, --threads T     as in swan score\n"
    "under mpirun: --stages 0-3,4-7, --nope-group G       as in swan score\n";

static int parse_value(const char *a, const char *val, FitOptions *o, int *matched) {
    struct {
        const char *name;
        long *dst;
        long lo, hi;
    } nums[] = {
        {"--points", &o->points, 2, 100},
        {"--refine", &o->refine, 0, 100},
        {"--max-tokens", &o->max_tokens, 2, 1L << 30},
        {"--chunk", &o->chunk, 1, 1 << 20},
        {"--threads", &o->threads, 1, 4096},
        {"--nope-group", &o->nope_group, 1, WIRE_MAX_GROUP},
    };
    const char **strs[] = {&o->model_dir, &o->tokenizer, &o->write_dir, &o->stages};
    const char *str_names[] = {"--model", "--tokenizer", "--write", "--stages"};
    *matched = 1;
    if (!strcmp(a, "--from") || !strcmp(a, "--to"))
        return cli_parse_double(a, val, 1, 1e15, a[2] == 'f' ? &o->from : &o->to);
    for (size_t k = 0; k < sizeof nums / sizeof *nums; k++)
        if (!strcmp(a, nums[k].name))
            return cli_parse_long(a, val, nums[k].lo, nums[k].hi, nums[k].dst);
    for (size_t k = 0; k < sizeof strs / sizeof *strs; k++)
        if (!strcmp(a, str_names[k]) || (k == 0 && !strcmp(a, "-m"))) {
            if (!val) {
                cli_error("fit-scaling: %s needs a value", a);
                return -1;
            }
            *strs[k] = val;
            return 0;
        }
    *matched = 0;
    return 0;
}

static int parse_fit_options(int argc, char **argv, FitOptions *o) {
    *o = (FitOptions){.from = 4, .to = 65536, .points = 8, .refine = 4, .chunk = 512, .nope_group = 1};
    o->inputs = calloc((size_t)argc, sizeof *o->inputs);
    if (!o->inputs) return -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        int matched;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(fit_usage, stdout);
            exit(0);
        }
        if (parse_value(a, val, o, &matched) != 0) return -1;
        if (matched) {
            i++;
        } else if (a[0] == '-' && a[1]) {
            cli_error("fit-scaling: unknown option '%s' (try 'swan fit-scaling --help')", a);
            return -1;
        } else {
            o->inputs[o->ninputs++] = argv[i];
        }
    }
    if (!o->model_dir) return cli_error("fit-scaling: no model given (-m MODEL_DIR)"), -1;
    if (o->ninputs == 0) return cli_error("fit-scaling: no held-out documents given (FILE...)"), -1;
    if (!(o->from > 1 && o->from < o->to)) {
        cli_error("fit-scaling: need 1 < --from < --to (got %g and %g): a <= 1 makes ln(a) <= 0",
                  o->from, o->to);
        return -1;
    }
    return 0;
}

/* ---- documents ---- */

static int add_document(Fit *f, Document *d) {
    if (d->ntokens <= f->L) {
        cli_error("%s: %ld tokens, none past the training length %ld (a held-out document must be "
                  "longer than it)",
                  d->id, d->ntokens, f->L);
        document_free(d);
        return -1;
    }
    Document *docs = realloc(f->docs, sizeof *docs * (size_t)(f->ndocs + 1));
    if (!docs) {
        document_free(d);
        return cli_error("out of memory"), -1;
    }
    f->docs = docs;
    f->docs[f->ndocs++] = *d;
    if (d->ntokens > f->longest) f->longest = d->ntokens;
    return 0;
}

/* Every document, cut to its first max_tokens; a bad one stops the fit. */
static int read_documents(Fit *f, const FitOptions *o, const Tokenizer *tok, int vocab) {
    DocReaderOptions ro = {tok, cli_tokenizer_is_bytes(o->tokenizer), vocab, NULL, NULL, 0};
    DocReader reader;
    doc_reader_init(&reader, o->inputs, o->ninputs, &ro);
    Document d;
    int rc;
    while ((rc = doc_reader_next(&reader, &d)) > 0) {
        if (d.ntokens > o->max_tokens) d.ntokens = o->max_tokens;
        if (add_document(f, &d) != 0) break;
    }
    doc_reader_free(&reader);
    if (rc != 0) return -1;
    f->nll = calloc((size_t)f->ndocs, sizeof *f->nll);
    f->runs = calloc((size_t)f->ndocs, sizeof *f->runs);
    if (!f->nll || !f->runs) return cli_error("out of memory"), -1;
    for (int i = 0; i < f->ndocs; i++)
        if (!(f->nll[i] = malloc(sizeof(double) * (size_t)f->docs[i].ntokens)))
            return cli_error("out of memory"), -1;
    return 0;
}

static void fit_free(Fit *f) {
    for (int i = 0; i < f->ndocs; i++) {
        document_free(&f->docs[i]);
        if (f->nll) free(f->nll[i]);
    }
    free(f->docs);
    free(f->nll);
    free(f->runs);
}

/* ---- one scoring run ---- */

static int submit(Fit *f, int i) {
    const Document *d = &f->docs[i];
    f->runs[i] = (EngineRun){
        .doc = f->next_doc++, .label = d->id, .tokens = d->tokens, .n = d->ntokens, .nll = f->nll[i]};
    SwanError err;
    if (engine_submit(f->engine, &f->runs[i], &err) == 0) return 0;
    cli_error("%s: %s", d->id, err.msg);
    return -1;
}

/* Every document through the engine, as many at once as it takes. */
static int score_all(Fit *f) {
    int next = 0, failed = 0;
    EngineEvent ev;
    for (;;) {
        while (next < f->ndocs && !failed && engine_can_open(f->engine))
            failed = submit(f, next++) != 0;
        if (!engine_next_event(f->engine, &ev)) break;
        if (ev.kind == ENGINE_DOC_STATS) continue;
        if (ev.kind == ENGINE_RUN_FAILED) {
            cli_error("%s: %s", ev.run->label, ev.error);
            failed = 1;
        }
        engine_end_document(f->engine, ev.run->doc);
    }
    return failed ? -1 : 0;
}

/* nll[i] is the NLL of the token at position i + 1: "past L" are the
 * tokens at positions L and later, which no training window reached. */
static void mean_nll(const Fit *f, double *past, double *below) {
    double sp = 0, sb = 0;
    long np = 0, nb = 0;
    for (int d = 0; d < f->ndocs; d++)
        for (long i = 0; i + 1 < f->docs[d].ntokens; i++) {
            if (i + 1 >= f->L) {
                sp += f->nll[d][i];
                np++;
            } else {
                sb += f->nll[d][i];
                nb++;
            }
        }
    *past = sp / (double)np;
    *below = nb ? sb / (double)nb : NAN;
}

/* The mean NLL past L with this a (0: no scaling), remembered for the table. */
static int evaluate(Fit *f, double a, double *past) {
    SwanError err;
    if (f->npts == (int)(sizeof f->pts / sizeof *f->pts))
        return cli_error("fit-scaling: too many values tried"), -1;
    if (engine_set_log_a(f->engine, a, &err) != 0) return cli_error("%s", err.msg), -1;
    double t0 = cli_now();
    if (score_all(f) != 0) return -1;
    FitPoint *p = &f->pts[f->npts++];
    p->a = a;
    mean_nll(f, &p->past, &p->below);
    *past = p->past;
    fprintf(stderr, "swan: fit-scaling: a = %-10.6g mean NLL past L %.5f (%.1f s)\n", a, p->past,
            cli_now() - t0);
    return 0;
}

/* ---- the search ---- */

/* Golden-section steps over log a in [lo, hi] (the grid's bracket). */
static int golden(Fit *f, double lo, double hi, long steps) {
    const double g = (sqrt(5.0) - 1) / 2;
    double x1 = hi - g * (hi - lo), x2 = lo + g * (hi - lo), f1, f2;
    if (steps < 2) return 0;
    if (evaluate(f, exp(x1), &f1) || evaluate(f, exp(x2), &f2)) return -1;
    for (long s = 2; s < steps; s++) {
        if (f1 < f2) {
            hi = x2, x2 = x1, f2 = f1, x1 = hi - g * (hi - lo);
            if (evaluate(f, exp(x1), &f1)) return -1;
        } else {
            lo = x1, x1 = x2, f1 = f2, x2 = lo + g * (hi - lo);
            if (evaluate(f, exp(x2), &f2)) return -1;
        }
    }
    return 0;
}

static int search(Fit *f, const FitOptions *o) {
    double lo = log(o->from), hi = log(o->to), nll, best = INFINITY;
    long k_best = 0;
    if (evaluate(f, 0, &nll) != 0) return -1; /* no scaling, for comparison */
    for (long k = 0; k < o->points; k++) {
        if (evaluate(f, exp(lo + (hi - lo) * (double)k / (double)(o->points - 1)), &nll) != 0)
            return -1;
        if (nll < best) best = nll, k_best = k;
    }
    if (k_best == 0 || k_best == o->points - 1)
        fprintf(stderr, "swan: fit-scaling: the best grid value is at the edge of the range; a "
                        "wider --from/--to may do better (a very large a is no scaling)\n");
    double step = (hi - lo) / (double)(o->points - 1);
    double b_lo = lo + step * (double)(k_best > 0 ? k_best - 1 : 0);
    double b_hi = lo + step * (double)(k_best < o->points - 1 ? k_best + 1 : k_best);
    return golden(f, b_lo, b_hi, o->refine);
}

static int by_a(const void *x, const void *y) {
    double a = ((const FitPoint *)x)->a, b = ((const FitPoint *)y)->a;
    return (a > b) - (a < b);
}

/* The curve sorted by a, no scaling first; returns the best point. */
static const FitPoint *print_table(Fit *f, const FitOptions *o) {
    qsort(f->pts, (size_t)f->npts, sizeof *f->pts, by_a);
    const FitPoint *best = &f->pts[0];
    long past = 0, total = 0;
    for (int i = 0; i < f->npts; i++)
        if (f->pts[i].past < best->past) best = &f->pts[i];
    for (int d = 0; d < f->ndocs; d++) {
        past += f->docs[d].ntokens - f->L;
        total += f->docs[d].ntokens;
    }
    printf("# %s: %d documents, %ld tokens (at most %ld each), %ld past L = %ld\n", o->model_dir,
           f->ndocs, total, o->max_tokens, past, f->L);
    printf("%-12s %8s %8s %18s %18s\n", "a", "s(L)", "s(n)", "mean NLL past L", "mean NLL below L");
    SwanConfig c = {.scaling_kind = ATTN_SCALING_LOG_A};
    for (int i = 0; i < f->npts; i++) {
        const FitPoint *p = &f->pts[i];
        char a[32];
        c.scaling_a = p->a;
        snprintf(a, sizeof a, p->a == 0 ? "none" : "%.6g", p->a);
        printf("%-12s %8.3f %8.3f %18.5f %18.5f%s\n", a,
               p->a == 0 ? 1.0 : swan_config_attn_scale(&c, f->L),
               p->a == 0 ? 1.0 : swan_config_attn_scale(&c, f->longest - 1), p->past, p->below,
               p == best ? "   <- best" : "");
    }
    if (best->a == 0)
        printf("best: no scaling (every a tried is worse past L)\n");
    else
        printf("best: a = %.6g: mean NLL past L %.5f, no scaling %.5f (%+.5f)\n", best->a, best->past,
               f->pts[0].past, best->past - f->pts[0].past);
    return best;
}

/* ---- --write ---- */

static const char *const scaling_keys[] = {"swan_attn_scaling", "attn_temperature_tuning",
                                           "floor_scale", "attn_scale"};

/* MODEL_DIR's config.json with the best scaling in place of any other form
 * (none when no a beat no scaling), the a as the table shows it. */
static int write_config(const FitOptions *o, double a, SwanError *err) {
    cJSON *root = model_dir_read_config(o->model_dir, err);
    if (!root) return -1;
    for (size_t k = 0; k < sizeof scaling_keys / sizeof *scaling_keys; k++)
        cJSON_DeleteItemFromObjectCaseSensitive(root, scaling_keys[k]);
    char shown[32];
    snprintf(shown, sizeof shown, "%.6g", a);
    cJSON *s = a > 0 ? cJSON_AddObjectToObject(root, "swan_attn_scaling") : NULL;
    int rc = a > 0 && !(s && cJSON_AddStringToObject(s, "type", "log_a") &&
                        cJSON_AddNumberToObject(s, "a", strtod(shown, NULL)))
                 ? swan_error_set(err, "out of memory")
                 : model_dir_write_config(o->write_dir, root, err);
    cJSON_Delete(root);
    return rc;
}

static int write_model(const FitOptions *o, double a) {
    SwanError err;
    SwanConfig check;
    if (write_config(o, a, &err) != 0 || model_dir_link_files(o->model_dir, o->write_dir, &err) != 0 ||
        swan_config_load_dir(o->write_dir, &check, &err) != 0) {
        cli_error("fit-scaling: --write %s: %s", o->write_dir, err.msg);
        return -1;
    }
    swan_config_free(&check);
    fprintf(stderr, "swan: fit-scaling: wrote %s/%s (%s) beside links to %s's weights\n", o->write_dir,
            MODEL_CONFIG_FILE, a > 0 ? "swan_attn_scaling log_a" : "no scaling", o->model_dir);
    return 0;
}

/* ---- the command ---- */

static int fit_run(Fit *f, const FitOptions *o, const SwanConfig *cfg, int world) {
    EngineOptions eo = {.model_dir = o->model_dir,
                        .chunk = (int)o->chunk,
                        .threads = (int)o->threads,
                        .in_flight = 4,
                        .stages = o->stages,
                        .nope_group = (int)o->nope_group,
                        .context = o->max_tokens};
    f->engine = engine_open(cfg, &eo, world);
    if (!f->engine) return -1;
    int rc = search(f, o);
    engine_close(f->engine);
    if (rc != 0) return -1;
    const FitPoint *best = print_table(f, o);
    return o->write_dir ? write_model(o, best->a) : 0;
}

static int fit_setup(Fit *f, FitOptions *o, SwanConfig *cfg) {
    Tokenizer *tok = NULL;
    if (cli_load_config(o->model_dir, cfg) != 0) return -1;
    f->L = cfg->max_position_embeddings;
    if (!o->max_tokens) o->max_tokens = 16 * f->L;
    int rc = -1;
    if (cli_check_bytes_fit(o->tokenizer, o->model_dir, cfg) == 0 &&
        cli_load_tokenizer(o->tokenizer, o->model_dir, &tok) == 0)
        rc = read_documents(f, o, tok, cfg->vocab_size);
    tokenizer_free(tok);
    if (rc == 0 && o->max_tokens <= f->L) {
        cli_error("fit-scaling: --max-tokens %ld leaves no token past the training length %ld",
                  o->max_tokens, f->L);
        rc = -1;
    }
    if (rc != 0) swan_config_free(cfg);
    return rc;
}

int cmd_fit_scaling(int argc, char **argv, int world) {
    FitOptions o;
    Fit f;
    SwanConfig cfg;
    SwanError err;
    memset(&f, 0, sizeof f);
    int rc = parse_fit_options(argc, argv, &o);
    /* The output directory first, so a run of minutes never ends in a
     * name that cannot be written. */
    int made = rc == 0 && o.write_dir;
    if (made && model_dir_create(o.write_dir, &err) != 0) {
        cli_error("fit-scaling: --write: %s", err.msg);
        rc = -1, made = 0;
    }
    if (rc == 0 && fit_setup(&f, &o, &cfg) == 0) {
        rc = fit_run(&f, &o, &cfg, world);
        swan_config_free(&cfg);
    } else {
        rc = -1;
    }
    if (rc != 0 && made) rmdir(o.write_dir); /* only when still empty */
    fit_free(&f);
    free(o.inputs);
    return rc == 0 ? 0 : 1;
}
