/* swan generate: continue a prompt (book-length if need be), streaming the
 * decoded text to stdout. One process, or the MPI pipeline under mpirun; the
 * same seed gives the same text either way. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kernels.h"
#include "model.h"
#include "pipeline.h"
#include "planner.h"
#include "sampler.h"
#include "scorer.h"
#include "tokenizer.h"

typedef struct {
    const char *model_dir, *prompt_path, *tokenizer, *stages;
    long max_new, chunk, threads, nope_group, context, seed;
    double temperature, top_p;
    int wire_bf16;
} GenerateOptions;

static const char generate_usage[] =
    "usage: swan generate -m MODEL_DIR -f PROMPT [options]\n"
    "  -n N               tokens to generate at most (default 256); stops at EOS\n"
    "  --temperature T    0 = greedy (default 0.8)\n"
    "  --top-p P          nucleus mass (default 0.95)\n"
    "  --seed S           random stream (default 1): same seed, same text, any rank count\n"
    "  --tokenizer bytes|PATH   default MODEL_DIR/tokenizer.json\n"
    "  --chunk C --threads T --stages ... --nope-group G --context N --wire-dtype D\n"
    "                     as for score\n";

static int parse_double(const char *opt, const char *text, double lo, double hi, double *out) {
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

static int parse_generate_options(int argc, char **argv, GenerateOptions *o) {
    *o = (GenerateOptions){0};
    o->max_new = 256, o->chunk = 512, o->context = 32768, o->seed = 1;
    o->temperature = 0.8, o->top_p = 0.95;
    for (int i = 1; i < argc; i += 2) { /* every option takes one value */
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int rc = 0;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(generate_usage, stdout);
            exit(0);
        } else if (!strcmp(a, "-m") || !strcmp(a, "--model")) o->model_dir = v;
        else if (!strcmp(a, "-f") || !strcmp(a, "--prompt")) o->prompt_path = v;
        else if (!strcmp(a, "--tokenizer")) o->tokenizer = v;
        else if (!strcmp(a, "--stages")) o->stages = v;
        else if (!strcmp(a, "-n")) rc = cli_parse_long(a, v, 0, 1L << 30, &o->max_new);
        else if (!strcmp(a, "--chunk")) rc = cli_parse_long(a, v, 1, 1 << 20, &o->chunk);
        else if (!strcmp(a, "--threads")) rc = cli_parse_long(a, v, 1, 4096, &o->threads);
        else if (!strcmp(a, "--nope-group")) rc = cli_parse_long(a, v, 1, 64, &o->nope_group);
        else if (!strcmp(a, "--context")) rc = cli_parse_long(a, v, 1, 1L << 40, &o->context);
        else if (!strcmp(a, "--seed")) rc = cli_parse_long(a, v, 0, 0x7FFFFFFFFFFFFFFFL, &o->seed);
        else if (!strcmp(a, "--temperature")) rc = parse_double(a, v, 0.0, 100.0, &o->temperature);
        else if (!strcmp(a, "--top-p")) rc = parse_double(a, v, 1e-9, 1.0, &o->top_p);
        else if (!strcmp(a, "--wire-dtype")) rc = cli_parse_wire_dtype(a, v, &o->wire_bf16);
        else {
            cli_error("generate: unknown option '%s'", a);
            return -1;
        }
        if (rc != 0) return -1;
        if (!v) {
            cli_error("generate: %s needs a value", a);
            return -1;
        }
    }
    if (!o->model_dir || !o->prompt_path) {
        cli_error("generate: needs -m MODEL_DIR and -f PROMPT");
        return -1;
    }
    return 0;
}

static int load_prompt(const GenerateOptions *o, Tokenizer **tok, int **ids, long *n) {
    SwanError err;
    char path[4096];
    int rc;
    if (o->tokenizer && !strcmp(o->tokenizer, "bytes"))
        rc = tokenizer_bytes(tok, &err);
    else {
        snprintf(path, sizeof path, "%s/tokenizer.json", o->model_dir);
        rc = tokenizer_load(o->tokenizer ? o->tokenizer : path, tok, &err);
    }
    if (rc != 0) {
        cli_error("%s", err.msg);
        return -1;
    }
    FILE *f = fopen(o->prompt_path, "rb");
    if (!f) {
        cli_error("%s: %s", o->prompt_path, strerror(errno));
        return -1;
    }
    size_t cap = 1 << 16, len = 0, got;
    unsigned char *text = malloc(cap);
    while (text && (got = fread(text + len, 1, cap - len, f)) > 0)
        if ((len += got) == cap) text = realloc(text, cap *= 2);
    fclose(f);
    size_t count = 0;
    rc = text ? tokenizer_encode(*tok, text, len, ids, &count, &err) : -1;
    free(text);
    if (rc != 0) {
        cli_error("%s: %s", o->prompt_path, text ? err.msg : "out of memory");
        return -1;
    }
    *n = (long)count;
    if (*n < 1) {
        cli_error("%s: the prompt has no tokens", o->prompt_path);
        return -1;
    }
    return 0;
}

/* Where logits come from: this process, or the pipeline. */
typedef struct {
    /* local */
    SwanModel model;
    Forward fwd;
    Head head;
    DocCaches caches;
    float *x;
    /* pipeline */
    PipelineSession *session;
} Engine;

static int engine_run(Engine *e, const int *tokens, long pos0, long n, long chunk, float *logits) {
    if (e->session) return pipeline_run_tokens(e->session, 0, tokens, pos0, n, logits);
    SwanError err;
    int d = e->model.cfg.hidden_size;
    for (long p = 0; p < n; p += chunk) {
        int m = n - p < chunk ? (int)(n - p) : (int)chunk;
        forward_embed(&e->fwd, tokens + p, m, e->x);
        if (forward_layers(&e->fwd, &e->caches, e->x, m, &err) != 0) {
            cli_error("%s", err.msg);
            return -1;
        }
        if (p + m == n) head_logits(&e->head, e->x + (size_t)(m - 1) * d, logits);
    }
    return 0;
}

static int engine_open_local(Engine *e, const GenerateOptions *o) {
    SwanError err;
    if (swan_model_load(&e->model, o->model_dir, 0, -1, 1, 1, &err) != 0 ||
        forward_init(&e->fwd, &e->model.cfg, &e->model.w, (int)o->chunk, &err) != 0 ||
        head_init(&e->head, &e->model.cfg, &e->model.w, &err) != 0 ||
        doc_caches_init(&e->caches, &e->model.cfg, 0, e->model.cfg.num_layers, &err) != 0) {
        cli_error("%s", err.msg);
        return -1;
    }
    e->x = malloc(sizeof(float) * (size_t)o->chunk * e->model.cfg.hidden_size);
    return e->x ? 0 : -1;
}

static void engine_close(Engine *e) {
    if (e->session) {
        pipeline_end_document(e->session, 0);
        pipeline_close(e->session);
    }
    free(e->x);
    doc_caches_free(&e->caches);
    head_free(&e->head);
    forward_free(&e->fwd);
    swan_model_free(&e->model);
}

static int generate(const GenerateOptions *o, Engine *e, const SwanConfig *cfg, Tokenizer *tok,
                    const int *prompt, long n) {
    float *logits = malloc(sizeof(float) * (size_t)cfg->vocab_size);
    Sampler sampler;
    if (!logits || sampler_init(&sampler, cfg->vocab_size, o->temperature, o->top_p, (uint64_t)o->seed) != 0) {
        free(logits);
        cli_error("out of memory");
        return -1;
    }
    double t0 = cli_now(), t1 = t0;
    int rc = engine_run(e, prompt, 0, n, o->chunk, logits);
    long made = 0;
    if (rc == 0) t1 = cli_now();
    for (long pos = n; rc == 0 && made < o->max_new; pos++) {
        int next = sampler_pick(&sampler, logits);
        if (next == cfg->eos_token_id) break;
        const unsigned char *bytes;
        size_t len;
        if (tokenizer_token_bytes(tok, next, &bytes, &len) == 0) fwrite(bytes, 1, len, stdout);
        fflush(stdout);
        made++;
        if (made < o->max_new) rc = engine_run(e, &next, pos, 1, 1, logits);
    }
    double t2 = cli_now();
    fprintf(stderr, "\nswan: prompt %ld tokens in %.2f s (%.1f tokens/s); generated %ld tokens in %.2f s (%.2f tokens/s)\n",
            n, t1 - t0, n / (t1 - t0 + 1e-12), made, t2 - t1, made / (t2 - t1 + 1e-12));
    sampler_free(&sampler);
    free(logits);
    return rc;
}

int cmd_generate(int argc, char **argv, int world) {
    GenerateOptions o;
    if (parse_generate_options(argc, argv, &o) != 0) return 2;
    Tokenizer *tok = NULL;
    int *prompt = NULL;
    long n = 0;
    Engine e;
    memset(&e, 0, sizeof e);
    SwanConfig cfg;
    memset(&cfg, 0, sizeof cfg);
    Plan plan;                /* the pipeline session points at these two */
    PipelineOptions po;
    int rc = -1;
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", o.model_dir);
    SwanError err;
    if (swan_config_load(path, &cfg, &err) != 0) {
        cli_error("%s", err.msg);
        goto done;
    }
    if (load_prompt(&o, &tok, &prompt, &n) != 0) goto done;
    for (long i = 0; i < n; i++)
        if (prompt[i] >= cfg.vocab_size) {
            cli_error("%s: token %d at %ld is outside the model's vocabulary of %d", o.prompt_path,
                      prompt[i], i, cfg.vocab_size);
            goto done;
        }
    if (world > 1) {
        PlanRequest req = {world, o.context, o.stages, (int)o.nope_group};
        if (plan_make(&cfg, &req, &plan, &err) != 0) {
            cli_error("%s", err.msg);
            goto done;
        }
        po = (PipelineOptions){o.model_dir, (int)o.chunk, o.threads ? (int)o.threads : 1, 1, o.wire_bf16, NULL};
        e.session = pipeline_open(&cfg, &plan, &po, world);
    } else {
        kernels_set_threads((int)o.threads);
        if (engine_open_local(&e, &o) != 0) goto done;
    }
    rc = generate(&o, &e, &cfg, tok, prompt, n);
done:
    engine_close(&e);
    swan_config_free(&cfg);
    free(prompt);
    if (tok) tokenizer_free(tok);
    return rc == 0 ? 0 : 1;
}
