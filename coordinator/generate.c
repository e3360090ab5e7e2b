/* swan generate: continue a prompt (book-length if need be), streaming the
 * decoded text to stdout. One process, or the MPI pipeline under mpirun; the
 * same seed gives the same text either way. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "engine.h"
#include "file_read.h"
#include "planner.h"
#include "sampler.h"
#include "tokenizer.h"
#include "watchdog.h"

typedef struct {
    const char *model_dir, *prompt_path, *tokenizer, *stages;
    long max_new, chunk, threads, nope_group, context, seed;
    double temperature, top_p, rank_timeout, max_rank_memory;
    int wire_bf16;
    int no_special; /* --no-special */
    ComputeMode compute;
} GenerateOptions;

static const char generate_usage[] =
    "usage: swan generate -m MODEL_DIR -f PROMPT [options]\n"
    "  -n N               tokens to generate at most (default 256); stops at EOS\n"
    "  --temperature T    0 = greedy (default 0.8)\n"
    "  --top-p P          nucleus mass (default 0.95)\n"
    "  --seed S           random stream (default 1): same seed, same text, any rank count\n"
    "  --tokenizer bytes|PATH   default MODEL_DIR/tokenizer.json\n"
    "  --no-special       the prompt without the tokens the tokenizer's post-processor\n"
    "                     puts around it (a BOS; default: added, as Hugging Face does)\n"
    "  --chunk C --threads T --stages ... --nope-group G --context N --wire-dtype D\n"
    "  --compute exact|bf16  as for score\n"
    "  --rank-timeout S --max-rank-memory SIZE\n"
    "                     as for score (the prompt and -n tokens must fit)\n";

static int parse_generate_options(int argc, char **argv, GenerateOptions *o) {
    *o = (GenerateOptions){0};
    o->max_new = 256, o->chunk = 512, o->context = 32768, o->seed = 1;
    o->temperature = 0.8, o->top_p = 0.95, o->rank_timeout = WATCHDOG_DEFAULT_TIMEOUT;
    for (int i = 1; i < argc; i += 2) { /* every option but --no-special takes one value */
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int rc = 0;
        if (!strcmp(a, "--no-special")) {
            o->no_special = 1;
            i--;
            continue;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(generate_usage, stdout);
            exit(0);
        } else if (!strcmp(a, "-m") || !strcmp(a, "--model"))
            o->model_dir = v;
        else if (!strcmp(a, "-f") || !strcmp(a, "--prompt"))
            o->prompt_path = v;
        else if (!strcmp(a, "--tokenizer"))
            o->tokenizer = v;
        else if (!strcmp(a, "--stages"))
            o->stages = v;
        else if (!strcmp(a, "-n"))
            rc = cli_parse_long(a, v, 0, 1L << 30, &o->max_new);
        else if (!strcmp(a, "--chunk"))
            rc = cli_parse_long(a, v, 1, 1 << 20, &o->chunk);
        else if (!strcmp(a, "--threads"))
            rc = cli_parse_long(a, v, 1, 4096, &o->threads);
        else if (!strcmp(a, "--nope-group"))
            rc = cli_parse_long(a, v, 1, WIRE_MAX_GROUP, &o->nope_group);
        else if (!strcmp(a, "--context"))
            rc = cli_parse_long(a, v, 1, 1L << 40, &o->context);
        else if (!strcmp(a, "--seed"))
            rc = cli_parse_long(a, v, 0, 0x7FFFFFFFFFFFFFFFL, &o->seed);
        else if (!strcmp(a, "--temperature"))
            rc = cli_parse_double(a, v, 0.0, 100.0, &o->temperature);
        else if (!strcmp(a, "--top-p"))
            rc = cli_parse_double(a, v, 1e-9, 1.0, &o->top_p);
        else if (!strcmp(a, "--wire-dtype"))
            rc = cli_parse_wire_dtype(a, v, &o->wire_bf16);
        else if (!strcmp(a, "--compute"))
            rc = cli_parse_compute(a, v, &o->compute);
        else if (!strcmp(a, "--rank-timeout"))
            rc = cli_parse_double(a, v, 0.1, 1e9, &o->rank_timeout);
        else if (!strcmp(a, "--max-rank-memory"))
            rc = cli_parse_size(a, v, &o->max_rank_memory);
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
    if (cli_load_tokenizer(o->tokenizer, o->model_dir, tok) != 0) return -1;
    unsigned char *text = NULL;
    size_t len = 0, count = 0;
    if (access(o->prompt_path, R_OK) != 0) { /* the plain "PROMPT: reason" a shell user expects */
        cli_error("%s: %s", o->prompt_path, strerror(errno));
        return -1;
    }
    if (swan_read_file(o->prompt_path, (size_t)INT_MAX, &text, &len, &err) != 0) {
        cli_error("%s", err.msg);
        return -1;
    }
    int rc = tokenizer_encode_ex(*tok, text, len, !o->no_special, ids, &count, &err);
    free(text);
    if (rc != 0) {
        cli_error("%s: %s", o->prompt_path, err.msg);
        return -1;
    }
    *n = (long)count;
    if (*n < 1) {
        cli_error("%s: the prompt has no tokens", o->prompt_path);
        return -1;
    }
    return 0;
}

/* The next token's logits after running tokens at pos .. pos + n - 1. */
static int advance(Engine *e, const int *tokens, long pos, long n, long end, float *logits) {
    EngineRun run = {.doc = 0,
                     .label = "generate",
                     .tokens = tokens,
                     .pos0 = pos,
                     .n = n,
                     .logits = logits,
                     .expect_len = end};
    return engine_run(e, &run);
}

static int generate(const GenerateOptions *o, Engine *e, const SwanConfig *cfg, const Tokenizer *tok,
                    const int *prompt, long n) {
    float *logits = malloc(sizeof(float) * (size_t)cfg->vocab_size);
    Sampler sampler;
    if (!logits ||
        sampler_init(&sampler, cfg->vocab_size, o->temperature, o->top_p, (uint64_t)o->seed) != 0) {
        free(logits);
        cli_error("out of memory");
        return -1;
    }
    double t0 = cli_now(), t1 = t0;
    int rc = advance(e, prompt, 0, n, n + o->max_new, logits);
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
        if (made < o->max_new) rc = advance(e, &next, pos, 1, n + o->max_new, logits);
    }
    double t2 = cli_now();
    fprintf(stderr,
            "\nswan: prompt %ld tokens in %.2f s (%.1f tokens/s); generated %ld tokens in %.2f s (%.2f "
            "tokens/s)\n",
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
    Engine *e = NULL;
    SwanConfig cfg;
    memset(&cfg, 0, sizeof cfg);
    int rc = -1;
    if (cli_load_config(o.model_dir, &cfg) != 0 ||
        cli_check_bytes_fit(o.tokenizer, o.model_dir, &cfg) != 0 ||
        load_prompt(&o, &tok, &prompt, &n) != 0)
        goto done;
    for (long i = 0; i < n; i++)
        if (prompt[i] >= cfg.vocab_size) {
            cli_error("%s: token %d at %ld is outside the model's vocabulary of %d", o.prompt_path,
                      prompt[i], i, cfg.vocab_size);
            goto done;
        }
    EngineOptions eo = {.model_dir = o.model_dir,
                        .chunk = (int)o.chunk,
                        .threads = (int)o.threads,
                        .in_flight = 1,
                        .activations_bf16 = o.wire_bf16,
                        .compute = o.compute,
                        .stages = o.stages,
                        .nope_group = (int)o.nope_group,
                        .context = o.context,
                        .rank_timeout = o.rank_timeout,
                        .max_rank_memory = o.max_rank_memory};
    if (!(e = engine_open(&cfg, &eo, world))) goto done;
    rc = generate(&o, e, &cfg, tok, prompt, n);
    engine_end_document(e, 0);
    EngineEvent ev;
    while (engine_next_event(e, &ev)) continue; /* the document's statistics: not reported */
done:
    engine_close(e);
    swan_config_free(&cfg);
    free(prompt);
    tokenizer_free(tok);
    return rc == 0 ? 0 : 1;
}
