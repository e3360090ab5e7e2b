/* swan score: per-token NLL of whole documents, one JSON line each, in one
 * process or across an MPI pipeline; both give the same numbers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "documents.h"
#include "kernels.h"
#include "model.h"
#include "pipeline.h"
#include "planner.h"
#include "scorer.h"
#include "sink.h"
#include "tokenizer.h"

typedef struct {
    const char *model_dir;
    const char *out_path;     /* NULL: stdout */
    const char *dump_path;    /* NULL: no per-token dump */
    const char *tokenizer;    /* NULL: MODEL_DIR/tokenizer.json; "bytes"; or a path */
    const char *stages;       /* --stages override, or NULL */
    long chunk, threads, in_flight, nope_group, context;
    int resume;
    int wire_bf16;
    ProgressMode progress;
    char **inputs;
    int ninputs;
} ScoreOptions;

static const char score_usage[] =
    "usage: swan score -m MODEL_DIR [options] INPUT...\n"
    "  -m, --model DIR     model directory (config.json, *.safetensors, tokenizer.json)\n"
    "  -o, --output PATH   append one JSON line per document (default: stdout)\n"
    "  --tokenizer bytes   every byte of a file is one token (default: MODEL_DIR/tokenizer.json)\n"
    "  --tokenizer PATH    another tokenizer.json\n"
    "  --resume            skip the documents that already have a line in -o PATH\n"
    "  --chunk C           tokens per forward chunk (default 512)\n"
    "  --threads T         BLAS threads per rank (default: 1 under MPI, else the library's)\n"
    "  --progress          progress on stderr even when it is not a terminal (a line\n"
    "                      every 10 s); --no-progress: none (default: on a terminal)\n"
    "  --dump-nll PATH     per-token NLL as little-endian float32, n-1 values per\n"
    "                      document, documents in input order\n"
    "inputs: text files; directories (their files, recursively, sorted; hidden ones\n"
    "  skipped); NAME.jsonl, one {\"id\": ..., \"text\": ...} per line; NAME.u32, token ids\n"
    "  as little-endian uint32. Text with a NUL byte is refused unless --tokenizer bytes.\n"
    "under mpirun (rank 0 coordinates, the others compute):\n"
    "  --in-flight B       documents in the pipeline at once (default 4)\n"
    "  --stages 0-3,4-7    layer ranges of the pipeline stages (default: planned)\n"
    "  --nope-group G      ranks sharing each stage's global-layer caches (default 1)\n"
    "  --context N         document length the planner balances for (default 32768)\n"
    "  --wire-dtype bf16   activations between stages as bf16: half the bytes, NLL no\n"
    "                      longer exact (default f32)\n";

/* Options that take a whole number, with their bounds. */
static int parse_number_option(const char *a, const char *val, ScoreOptions *o, int *matched) {
    struct { const char *name; long *dst; long lo, hi; } nums[] = {
        {"--chunk", &o->chunk, 1, 1 << 20}, {"--threads", &o->threads, 1, 4096},
        {"--in-flight", &o->in_flight, 1, 4096}, {"--nope-group", &o->nope_group, 1, 64},
        {"--context", &o->context, 1, 1L << 40},
    };
    for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++)
        if (!strcmp(a, nums[k].name)) {
            *matched = 1;
            return cli_parse_long(a, val, nums[k].lo, nums[k].hi, nums[k].dst);
        }
    *matched = 0;
    return 0;
}

static int parse_score_options(int argc, char **argv, ScoreOptions *o) {
    memset(o, 0, sizeof *o);
    o->chunk = 512;
    o->in_flight = 4;
    o->context = 32768;
    o->inputs = calloc((size_t)argc, sizeof *o->inputs);
    if (!o->inputs) return -1;
    struct { const char *short_name, *name; const char **dst; } strs[] = {
        {"-m", "--model", &o->model_dir}, {"-o", "--output", &o->out_path},
        {NULL, "--dump-nll", &o->dump_path}, {NULL, "--tokenizer", &o->tokenizer},
        {NULL, "--stages", &o->stages},
    };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(score_usage, stdout);
            exit(0);
        }
        if (!strcmp(a, "--resume")) {
            o->resume = 1;
            continue;
        }
        if (!strcmp(a, "--progress") || !strcmp(a, "--no-progress")) {
            o->progress = a[2] == 'n' ? PROGRESS_OFF : PROGRESS_ON;
            continue;
        }
        if (!strcmp(a, "--wire-dtype")) {
            if (cli_parse_wire_dtype(a, val, &o->wire_bf16) != 0) return -1;
            i++;
            continue;
        }
        int matched = 0;
        for (size_t k = 0; k < sizeof strs / sizeof strs[0] && !matched; k++)
            if ((strs[k].short_name && !strcmp(a, strs[k].short_name)) || !strcmp(a, strs[k].name)) {
                if (!val) {
                    cli_error("score: %s needs a value", a);
                    return -1;
                }
                *strs[k].dst = val;
                matched = 1;
            }
        if (!matched && parse_number_option(a, val, o, &matched) != 0) return -1;
        if (matched) {
            i++;
        } else if (a[0] == '-' && a[1]) {
            cli_error("score: unknown option '%s'", a);
            return -1;
        } else {
            o->inputs[o->ninputs++] = argv[i];
        }
    }
    if (!o->model_dir) {
        cli_error("score: no model given (-m MODEL_DIR)");
        return -1;
    }
    if (o->resume && !o->out_path) {
        cli_error("score: --resume needs the output file that holds the finished documents (-o PATH)");
        return -1;
    }
    /* The dump has every document's values in input order, one run's worth:
     * a resumed run could not tell where an earlier one's values end. */
    if (o->resume && o->dump_path) {
        cli_error("score: --resume cannot be combined with --dump-nll (the dump covers one whole run)");
        return -1;
    }
    if (o->ninputs == 0) {
        cli_error("score: no input files");
        return -1;
    }
    return 0;
}

/* One process: the whole model here, documents one after another. */
static int score_locally(const ScoreOptions *o, DocReader *reader, ResultSink *sink, Progress *progress) {
    SwanModel model;
    Forward fwd;
    Head head;
    memset(&fwd, 0, sizeof fwd);
    memset(&head, 0, sizeof head);
    SwanError err;
    int failed = -1;
    if (swan_model_load(&model, o->model_dir, 0, -1, 1, 1, &err) != 0 ||
        forward_init(&fwd, &model.cfg, &model.w, (int)o->chunk, &err) != 0 ||
        head_init(&head, &model.cfg, &model.w, &err) != 0) {
        cli_error("%s", err.msg);
        goto done;
    }
    failed = 0;
    Document doc;
    int rc;
    while ((rc = doc_reader_next(reader, &doc)) != 0) {
        double *nll = rc > 0 ? malloc(sizeof(double) * (size_t)doc.ntokens) : NULL;
        DocCaches caches;
        double t0 = cli_now();
        if (rc > 0 && !nll) swan_error_set(&err, "out of memory for %ld NLL values", doc.ntokens);
        if (rc > 0 && nll && score_tokens(&fwd, &head, doc.tokens, doc.ntokens, (int)o->chunk, nll, &caches, &err) == 0) {
            RankStats stats = {0, (long)doc_caches_bytes(&caches, &model.cfg, LAYER_WINDOW),
                               (long)doc_caches_bytes(&caches, &model.cfg, LAYER_GLOBAL),
                               caches.global_attention_seconds, 0, 0};
            doc_caches_free(&caches);
            progress_tokens(progress, doc.ntokens);
            if (sink_document(sink, doc.seq, doc.id, doc.ntokens, nll, cli_now() - t0, &stats, 1) != 0) {
                free(nll);
                document_free(&doc);
                failed = -1;
                goto done;
            }
            progress_document(progress, 1);
        } else {
            if (rc > 0) cli_error("%s: %s", doc.id, err.msg);
            sink_skip(sink, doc.seq);
            progress_document(progress, 0);
            failed++;
        }
        free(nll);
        document_free(&doc);
    }
done:
    head_free(&head);
    forward_free(&fwd);
    swan_model_free(&model);
    return failed;
}

/* Under mpirun: rank 0 plans and coordinates; only configs are read here. */
static int score_pipeline(const ScoreOptions *o, const SwanConfig *cfg, DocReader *reader,
                          ResultSink *sink, Progress *progress, int world) {
    Plan plan;
    PlanRequest req = {world, o->context, o->stages, (int)o->nope_group};
    SwanError err;
    if (plan_make(cfg, &req, &plan, &err) != 0) {
        cli_error("%s", err.msg);
        return -1;
    }
    plan_print(cfg, &plan, stderr);
    PipelineOptions po = {o->model_dir, (int)o->chunk, o->threads ? (int)o->threads : 1, (int)o->in_flight,
                          o->wire_bf16, progress};
    return pipeline_score(cfg, &plan, &po, reader, sink, world);
}

static int is_bytes(const ScoreOptions *o) {
    return o->tokenizer && !strcmp(o->tokenizer, "bytes");
}

/* Rank 0 reads only the config: for the vocabulary and the plan. */
static int load_config(const ScoreOptions *o, SwanConfig *cfg) {
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", o->model_dir);
    SwanError err;
    if (swan_config_load(path, cfg, &err) != 0) {
        cli_error("%s", err.msg);
        return -1;
    }
    if (is_bytes(o) && cfg->vocab_size < 256) {
        cli_error("%s: vocab_size %d cannot hold the 256 byte tokens of --tokenizer bytes", path,
                  cfg->vocab_size);
        swan_config_free(cfg);
        return -1;
    }
    return 0;
}

/* Text becomes ids here, on the coordinator only: nodes only ever see ids. */
static int load_tokenizer(const ScoreOptions *o, Tokenizer **t) {
    SwanError err;
    if (is_bytes(o)) {
        if (tokenizer_bytes(t, &err) == 0) return 0;
        cli_error("%s", err.msg);
        return -1;
    }
    char path[4096];
    const char *file = o->tokenizer;
    if (!file) {
        snprintf(path, sizeof path, "%s/tokenizer.json", o->model_dir);
        if (access(path, F_OK) != 0) {
            cli_error("%s: no tokenizer.json here (--tokenizer bytes scores raw bytes, "
                      "--tokenizer PATH takes another tokenizer.json)", o->model_dir);
            return -1;
        }
        file = path;
    }
    if (tokenizer_load(file, t, &err) == 0) return 0;
    cli_error("%s", err.msg);
    return -1;
}

static int skip_finished(void *sink, const char *id) {
    return sink_take_done(sink, id);
}

int cmd_score(int argc, char **argv, int world) {
    ScoreOptions o;
    if (parse_score_options(argc, argv, &o) != 0) {
        free(o.inputs);
        return 2;
    }
    if (world == 1) kernels_set_threads((int)o.threads);
    ResultSink sink;
    DocReader reader;
    Tokenizer *tok = NULL;
    memset(&sink, 0, sizeof sink);
    SwanConfig cfg;
    int failed = -1;
    if (load_config(&o, &cfg) != 0) {
        free(o.inputs);
        return 1;
    }
    if (load_tokenizer(&o, &tok) == 0 && sink_open(&sink, o.out_path, o.dump_path, o.resume) == 0) {
        DocReaderOptions ro = {tok, is_bytes(&o), cfg.vocab_size, o.resume ? skip_finished : NULL, &sink};
        doc_reader_init(&reader, o.inputs, o.ninputs, &ro);
        Progress progress;
        progress_init(&progress, o.progress);
        failed = world > 1 ? score_pipeline(&o, &cfg, &reader, &sink, &progress, world)
                           : score_locally(&o, &reader, &sink, &progress);
        progress_finish(&progress);
        doc_reader_free(&reader);
    }
    sink_close(&sink);
    swan_config_free(&cfg);
    tokenizer_free(tok);
    free(o.inputs);
    return failed == 0 ? 0 : 1;
}
