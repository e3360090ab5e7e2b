/* swan: score and continue SWAN-GPT models' documents. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mpi.h>

#include "cli.h"
#include "node.h"
#include "pipeline.h"

static const char usage[] =
    "usage: swan COMMAND [options]     (under mpirun: rank 0 coordinates, the others compute)\n"
    "commands:\n"
    "  score    -m MODEL_DIR FILE... [-o results.jsonl] [--chunk C] [--dump-nll PATH] ...\n"
    "  generate -m MODEL_DIR -f PROMPT [-n N] [--temperature T] [--top-p P] [--seed S]\n"
    "  tokenize -m MODEL_DIR FILE [--format u32] [-o OUT]\n"
    "  plan     -m MODEL_DIR --ranks N --context LEN [--stages 0-3,4-7] [--nope-group G]\n"
    "  report   RESULTS.jsonl...   (mean NLL by position over documents)\n"
    "  bench    prefill [...] | make-model DIR [...]\n"
    "run 'swan COMMAND --help' for a command's options\n";

void cli_error(const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    for (char *c = buf; *c; c++)
        if (*c == '\n') *c = ' ';
    /* On a terminal, first wipe a progress line that may be on screen. */
    fprintf(stderr, "%sswan: error: %s\n", isatty(STDERR_FILENO) ? "\r\033[K" : "", buf);
}

int cli_parse_long(const char *opt, const char *text, long lo, long hi, long *out) {
    if (!text) {
        cli_error("%s needs a value", opt);
        return -1;
    }
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < lo || v > hi) {
        cli_error("%s: '%s' is not a whole number in [%ld, %ld]", opt, text, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_wire_dtype(const char *opt, const char *text, int *bf16) {
    if (text && (!strcmp(text, "f32") || !strcmp(text, "bf16"))) {
        *bf16 = !strcmp(text, "bf16");
        return 0;
    }
    cli_error("%s: '%s' is not f32 or bf16", opt, text ? text : "");
    return -1;
}

double cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int run_command(int argc, char **argv, int world) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "score")) return cmd_score(argc - 1, argv + 1, world);
    if (!strcmp(argv[1], "bench")) return cmd_bench(argc - 1, argv + 1);
    if (!strcmp(argv[1], "report")) return cmd_report(argc - 1, argv + 1);
    if (!strcmp(argv[1], "generate")) return cmd_generate(argc - 1, argv + 1, world);
    if (!strcmp(argv[1], "plan")) return cmd_plan(argc - 1, argv + 1);
    if (!strcmp(argv[1], "tokenize")) return cmd_tokenize(argc - 1, argv + 1);
    cli_error("unknown command '%s' (try 'swan --help')", argv[1]);
    return 2;
}

/* A plain `swan ...` needs no MPI at all; under mpirun or srun the launcher
 * leaves its mark in the environment. */
static int launched_by_mpi(void) {
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK");
}

int main(int argc, char **argv) {
    if (!launched_by_mpi()) return run_command(argc, argv, 1);
    int rank = 0, world = 1;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world);
    int rc;
    if (rank > 0) {
        rc = node_main(rank);
    } else {
        rc = run_command(argc, argv, world);
        pipeline_release_nodes(world); /* commands that never started the pipeline */
    }
    MPI_Finalize();
    return rc;
}
