/* swan: score and continue SWAN-GPT models' documents. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "engine.h"
#include "host_name.h"
#include "node.h"
#include "rank_hosts.h"
#include "watch.h"

static const char usage[] =
    "usage: swan COMMAND [options]     (under mpirun: rank 0 coordinates, the others compute)\n"
    "commands:\n"
    "  score    -m MODEL_DIR FILE... [-o results.jsonl] [--chunk C] [--dump-nll PATH] ...\n"
    "  generate -m MODEL_DIR -f PROMPT [-n N] [--temperature T] [--top-p P] [--seed S]\n"
    "  tokenize -m MODEL_DIR FILE [--format u32] [-o OUT]\n"
    "  plan     -m MODEL_DIR --ranks N --context LEN [--stages 0-3,4-7] [--nope-group G]\n"
    "  report   RESULTS.jsonl...   (mean NLL by position over documents)\n"
    "  export-gguf MODEL_DIR OUT.gguf [--dtype f32|bf16]   (the model for llama.cpp)\n"
    "  fit-scaling -m MODEL_DIR FILE... [--from A0 --to A1] [--write OUT_DIR]\n"
    "  convert  --from LLAMA_DIR --pattern SSSN --window W [--scaling log_a:A] OUT_DIR\n"
    "  bench    prefill [...] | make-model DIR [...] | calibrate -m MODEL_DIR [...]\n"
    "run 'swan COMMAND --help' for a command's options\n";

static int run_command(int argc, char **argv, int world) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "score")) return cmd_score(argc - 1, argv + 1, world);
    if (!strcmp(argv[1], "bench") && argc > 2 && !strcmp(argv[2], "calibrate"))
        return cmd_calibrate(argc - 2, argv + 2);
    if (!strcmp(argv[1], "bench")) return cmd_bench(argc - 1, argv + 1);
    if (!strcmp(argv[1], "report")) return cmd_report(argc - 1, argv + 1);
    if (!strcmp(argv[1], "generate")) return cmd_generate(argc - 1, argv + 1, world);
    if (!strcmp(argv[1], "plan")) return cmd_plan(argc - 1, argv + 1);
    if (!strcmp(argv[1], "tokenize")) return cmd_tokenize(argc - 1, argv + 1);
    if (!strcmp(argv[1], "export-gguf")) return cmd_export_gguf(argc - 1, argv + 1);
    if (!strcmp(argv[1], "fit-scaling")) return cmd_fit_scaling(argc - 1, argv + 1, world);
    if (!strcmp(argv[1], "convert")) return cmd_convert(argc - 1, argv + 1);
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
    watch_init();
    char host[SWAN_HOST_MAX];
    host_name(host, sizeof host);
    rank_hosts_gather(rank, world, host);
    int rc;
    if (rank > 0) {
        rc = node_main(rank);
    } else {
        rc = run_command(argc, argv, world);
        engine_release_nodes(world); /* commands that never started the pipeline */
    }
    rank_hosts_free();
    MPI_Finalize();
    return rc;
}
