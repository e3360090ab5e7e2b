/* swan score: per-token NLL of whole documents, one JSON line each, in one
 * process or across an MPI pipeline; both give the same numbers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "documents.h"
#include "engine.h"
#include "model_id.h"
#include "planner.h"
#include "sink.h"
#include "tokenizer.h"
#include "watchdog.h"

typedef struct {
    const char *model_dir;
    const char *out_path;    /* NULL: stdout */
    const char *dump_path;   /* NULL: no per-token dump */
    const char *tokenizer;   /* NULL: MODEL_DIR/tokenizer.json; "bytes"; or a path */
    const char *stages;      /* --stages override, or NULL */
    const char *calibration; /* the planner's rates, or NULL: calibration_find's */
    long chunk, threads, in_flight, nope_group, context, hosts;
    double link_rate;
    int resume;
    int no_special; /* --no-special */
    int wire_bf16;
    ComputeMode compute;
    double rank_timeout, max_rank_memory;
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
    "  --no-special        leave out the tokens the tokenizer's post-processor puts around\n"
    "                      each document (a BOS; default: added, as Hugging Face does)\n"
    "  --resume            skip the documents that already have a line in -o PATH\n"
    "  --chunk C           tokens per forward chunk (default 512; under mpirun the\n"
    "                      planner's cost model chooses)\n"
    "  --threads T         BLAS threads per rank (default: 1 under MPI, else the library's)\n"
    "  --compute bf16      fast mode: products of many rows with activations and weights\n"
    "                      rounded to bf16 (AVX512-BF16); NLL no longer exact\n"
    "                      (default exact)\n"
    "  --progress          progress on stderr even when it is not a terminal (a line\n"
    "                      every 10 s); --no-progress: none (default: on a terminal)\n"
    "  --dump-nll PATH     per-token NLL as little-endian float32, n-1 values per\n"
    "                      document, documents in input order\n"
    "  --max-rank-memory SIZE  bytes (or K/M/G) a rank may use: a document whose caches\n"
    "                      would pass it is refused (default: 90%% of the cgroup limit\n"
    "                      or physical memory, shared by the ranks on the host)\n"
    "inputs: text files; directories (their files, recursively, sorted; hidden ones\n"
    "  skipped); NAME.jsonl, one {\"id\": ..., \"text\": ...} per line; NAME.u32, token ids\n"
    "  as little-endian uint32. Text with a NUL byte is refused unless --tokenizer bytes.\n"
    "under mpirun (rank 0 coordinates, the others compute):\n"
    "  --in-flight B       documents in the pipeline at once (default: the planner's\n"
    "                      cost model chooses, within the memory limit)\n"
    "  --stages 0-3,4-7    layer ranges of the pipeline stages (default: planned)\n"
    "  --nope-group G      ranks sharing each stage's global-layer caches (default: the\n"
    "                      planner's cost model chooses per stage)\n"
    "  --context N         document length the planner balances for (default 32768)\n"
    "  --calibration FILE  rates of 'swan bench calibrate' the planner's cost model uses\n"
    "                      (default: swan-calibration.json when it is here, else built in)\n"
    "  --hosts H, --link-rate RATE   the ranks are spread over H hosts (rank r on r mod H)\n"
    "                      linked at RATE (10gbit, 1gbit, 100mbit): the planner weighs\n"
    "                      the wire (default: the hosts the ranks are found on at start,\n"
    "                      and the wire not a limit)\n"
    "  --wire-dtype bf16   activations between stages as bf16: half the bytes, NLL no\n"
    "                      longer exact (default f32)\n"
    "  --rank-timeout S    the least seconds a rank may stay silent before the job ends\n"
    "                      naming it; more when its work is estimated to take longer\n"
    "                      (default 120)\n";

/* Options that take a whole number, with their bounds. */
static int parse_number_option(const char *a, const char *val, ScoreOptions *o, int *matched) {
    struct {
        const char *name;
        long *dst;
        long lo, hi;
    } nums[] = {
        {"--chunk", &o->chunk, 1, 1 << 20},      {"--threads", &o->threads, 1, 4096},
        {"--in-flight", &o->in_flight, 1, 4096}, {"--nope-group", &o->nope_group, 1, WIRE_MAX_GROUP},
        {"--context", &o->context, 1, 1L << 40}, {"--hosts", &o->hosts, 1, 1 << 20},
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
    o->context = 32768; /* chunk and in flight 0: the engine picks them */
    o->rank_timeout = WATCHDOG_DEFAULT_TIMEOUT;
    o->inputs = calloc((size_t)argc, sizeof *o->inputs);
    if (!o->inputs) return -1;
    struct {
        const char *short_name, *name;
        const char **dst;
    } strs[] = {
        {"-m", "--model", &o->model_dir},    {"-o", "--output", &o->out_path},
        {NULL, "--dump-nll", &o->dump_path}, {NULL, "--tokenizer", &o->tokenizer},
        {NULL, "--stages", &o->stages},      {NULL, "--calibration", &o->calibration},
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
        if (!strcmp(a, "--no-special")) {
            o->no_special = 1;
            continue;
        }
        if (!strcmp(a, "--progress") || !strcmp(a, "--no-progress")) {
            o->progress = a[2] == 'n' ? PROGRESS_OFF : PROGRESS_ON;
            continue;
        }
        if (!strcmp(a, "--wire-dtype") || !strcmp(a, "--compute")) {
            if ((a[2] == 'w' ? cli_parse_wire_dtype(a, val, &o->wire_bf16)
                             : cli_parse_compute(a, val, &o->compute)) != 0)
                return -1;
            i++;
            continue;
        }
        if (!strcmp(a, "--link-rate")) {
            if (cli_parse_rate(a, val, &o->link_rate) != 0) return -1;
            i++;
            continue;
        }
        if (!strcmp(a, "--rank-timeout") || !strcmp(a, "--max-rank-memory")) {
            int rc = a[2] == 'r' ? cli_parse_double(a, val, 0.1, 1e9, &o->rank_timeout)
                                 : cli_parse_size(a, val, &o->max_rank_memory);
            if (rc != 0) return -1;
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

/* A document being scored: its NLL buffer is the run's. */
typedef struct {
    int used, failed;
    Document doc;
    double *nll; /* [ntokens] */
    EngineRun run;
    double t0;
} ScoreSlot;

typedef struct {
    Engine *engine;
    DocReader *reader;
    ResultSink *sink;
    Progress *progress;
    ScoreSlot *slots;
    int nslots;
    int reader_done;
    int failed;
    int sink_failed;
} Batch;

static void slot_free(ScoreSlot *s) {
    document_free(&s->doc);
    free(s->nll);
    s->nll = NULL;
    s->used = 0;
}

static void give_up(Batch *b, long seq) {
    b->failed++;
    sink_skip(b->sink, seq);
    progress_document(b->progress, 0);
}

/* Reads the next good document into s and starts its run; 0 when the
 * reader is done. */
static int start_document(Batch *b, ScoreSlot *s) {
    int rc;
    while ((rc = doc_reader_next(b->reader, &s->doc)) < 0) give_up(b, s->doc.seq);
    if (rc == 0) return 0;
    SwanError err;
    s->nll = malloc(sizeof(double) * (size_t)s->doc.ntokens);
    s->run = (EngineRun){.doc = (uint64_t)s->doc.seq,
                         .label = s->doc.id,
                         .tokens = s->doc.tokens,
                         .n = s->doc.ntokens,
                         .nll = s->nll,
                         .expect_len = s->doc.ntokens};
    s->t0 = cli_now();
    s->used = 1;
    s->failed = 0;
    if (!s->nll) swan_error_set(&err, "out of memory for %ld NLL values", s->doc.ntokens);
    if (!s->nll || engine_submit(b->engine, &s->run, &err) != 0) {
        cli_error("%s: %s", s->doc.id, err.msg);
        give_up(b, s->doc.seq);
        slot_free(s);
    }
    return 1;
}

static void start_documents(Batch *b) {
    for (int i = 0; i < b->nslots && !b->reader_done; i++)
        while (!b->slots[i].used && !b->reader_done && engine_can_open(b->engine))
            b->reader_done = !start_document(b, &b->slots[i]);
}

static ScoreSlot *slot_of(Batch *b, uint64_t doc) {
    for (int i = 0; i < b->nslots; i++)
        if (b->slots[i].used && b->slots[i].run.doc == doc) return &b->slots[i];
    return NULL;
}

/* A run's NLL is complete: the document ends, its line is written when its
 * statistics arrive. */
static void take_event(Batch *b, const EngineEvent *ev) {
    ScoreSlot *s = slot_of(b, ev->kind == ENGINE_DOC_STATS ? ev->doc : ev->run->doc);
    if (!s) return;
    if (ev->kind == ENGINE_RUN_FAILED) {
        cli_error("%s: %s", s->doc.id, ev->error);
        s->failed = 1;
    }
    if (ev->kind != ENGINE_DOC_STATS) {
        engine_end_document(b->engine, s->run.doc);
        return;
    }
    if (s->failed || b->sink_failed) { /* after a failed write: one line said so */
        give_up(b, s->doc.seq);
    } else if (sink_document(b->sink, s->doc.seq, s->doc.id, s->doc.ntokens, s->nll, cli_now() - s->t0,
                             ev->stats, ev->nstats) != 0) {
        b->sink_failed = 1;
    } else {
        progress_document(b->progress, 1);
    }
    slot_free(s);
}

/* Every document through the engine, as many in flight as it takes. Returns
 * the number that failed, or -1 when the results could not be written. */
static int score_batch(Engine *engine, int in_flight, DocReader *reader, ResultSink *sink,
                       Progress *progress) {
    Batch b = {engine,    reader, sink, progress, calloc((size_t)in_flight, sizeof(ScoreSlot)),
               in_flight, 0,      0,    0};
    if (!b.slots) {
        cli_error("out of memory");
        return -1;
    }
    EngineEvent ev;
    for (;;) {
        if (!b.sink_failed) start_documents(&b);
        if (!engine_next_event(engine, &ev)) break;
        take_event(&b, &ev);
    }
    for (int i = 0; i < b.nslots; i++)
        if (b.slots[i].used) slot_free(&b.slots[i]);
    free(b.slots);
    return b.sink_failed ? -1 : b.failed;
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
    ResultSink sink;
    DocReader reader;
    Tokenizer *tok = NULL;
    memset(&sink, 0, sizeof sink);
    SwanConfig cfg;
    int failed = -1;
    if (cli_load_config(o.model_dir, &cfg) != 0) {
        free(o.inputs);
        return 1;
    }
    int bytes = cli_tokenizer_is_bytes(o.tokenizer);
    char model[MODEL_ID_LEN + 1];
    if (cli_check_bytes_fit(o.tokenizer, o.model_dir, &cfg) == 0 &&
        cli_load_tokenizer(o.tokenizer, o.model_dir, &tok) == 0 &&
        model_id(o.model_dir, o.tokenizer, o.no_special, model) == 0 &&
        sink_open(&sink, o.out_path, o.dump_path, o.resume, model) == 0) {
        DocReaderOptions ro = {.tokenizer = tok,
                               .bytes = bytes,
                               .vocab_size = cfg.vocab_size,
                               .skip = o.resume ? skip_finished : NULL,
                               .skip_ctx = &sink,
                               .no_special = o.no_special};
        doc_reader_init(&reader, o.inputs, o.ninputs, &ro);
        Progress progress;
        progress_init(&progress, o.progress);
        EngineOptions eo = {.model_dir = o.model_dir,
                            .chunk = (int)o.chunk,
                            .threads = (int)o.threads,
                            .in_flight = (int)o.in_flight,
                            .activations_bf16 = o.wire_bf16,
                            .compute = o.compute,
                            .stages = o.stages,
                            .nope_group = (int)o.nope_group,
                            .context = o.context,
                            .progress = &progress,
                            .rank_timeout = o.rank_timeout,
                            .max_rank_memory = o.max_rank_memory,
                            .calibration = o.calibration,
                            .link_rate = o.link_rate,
                            .hosts = (int)o.hosts};
        Engine *engine = engine_open(&cfg, &eo, world);
        if (engine) failed = score_batch(engine, engine_in_flight(engine), &reader, &sink, &progress);
        engine_close(engine);
        progress_finish(&progress);
        doc_reader_free(&reader);
    }
    sink_close(&sink);
    swan_config_free(&cfg);
    tokenizer_free(tok);
    free(o.inputs);
    return failed == 0 ? 0 : 1;
}
