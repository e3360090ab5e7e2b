/* swan plan: show how a model would be cut into stages for a world size,
 * from config.json alone, so it answers before any weights are read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "config.h"
#include "host_memory.h"
#include "planner.h"

static const char plan_usage[] =
    "usage: swan plan -m MODEL_DIR --ranks N --context LEN [--stages 0-3,4-7]\n"
    "                 [--nope-group G]\n"
    "  -m, --model DIR     model directory (only config.json is read)\n"
    "  --ranks N           MPI world size, coordinator included (>= 2)\n"
    "  --context LEN       expected document length in tokens\n"
    "  --stages SPEC       inclusive layer ranges, one per stage, in order\n"
    "  --nope-group G      ranks per stage holding global (NoPE) layers\n"
    "  --chunk C           tokens per chunk, for the scratch estimate (default 512)\n"
    "  --max-rank-memory SIZE  bytes (or K/M/G) a rank may use, for the longest\n"
    "                      documents (default: 90%% of this host's memory over --ranks)\n";

typedef struct {
    const char *model_dir;
    long ranks, context, nope_group, chunk;
    double rank_memory;
    const char *stages;
} PlanOptions;

/* One option and its value at argv[*i]; -1 after reporting a bad one. */
static int parse_plan_option(int argc, char **argv, int *i, PlanOptions *o) {
    const char *a = argv[*i];
    const char *val = *i + 1 < argc ? argv[*i + 1] : NULL;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
        fputs(plan_usage, stdout);
        exit(0);
    }
    if (!val) {
        cli_error("plan: %s needs a value", a);
        return -1;
    }
    (*i)++;
    if (!strcmp(a, "-m") || !strcmp(a, "--model"))
        o->model_dir = val;
    else if (!strcmp(a, "--stages"))
        o->stages = val;
    else if (!strcmp(a, "--ranks"))
        return cli_parse_long(a, val, 1, 1L << 20, &o->ranks);
    else if (!strcmp(a, "--context"))
        return cli_parse_long(a, val, 1, 1L << 40, &o->context);
    else if (!strcmp(a, "--nope-group"))
        return cli_parse_long(a, val, 1, WIRE_MAX_GROUP, &o->nope_group);
    else if (!strcmp(a, "--chunk"))
        return cli_parse_long(a, val, 1, 1 << 20, &o->chunk);
    else if (!strcmp(a, "--max-rank-memory"))
        return cli_parse_size(a, val, &o->rank_memory);
    else {
        cli_error("plan: unknown option '%s' (try 'swan plan --help')", a);
        return -1;
    }
    return 0;
}

static int parse_plan_options(int argc, char **argv, PlanOptions *o) {
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++)
        if (parse_plan_option(argc, argv, &i, o)) return -1;
    const char *missing = !o->model_dir ? "a model (-m MODEL_DIR)"
                          : !o->ranks   ? "--ranks N"
                          : !o->context ? "--context LEN"
                                        : NULL;
    if (missing) {
        cli_error("plan: needs %s", missing);
        return -1;
    }
    return 0;
}

int cmd_plan(int argc, char **argv) {
    PlanOptions o;
    if (parse_plan_options(argc, argv, &o)) return 2;
    SwanConfig cfg;
    SwanError err;
    int rc;
    if (cli_load_config(o.model_dir, &cfg) != 0) return 1;
    /* Plan is large (a fixed table of stages): keep it off the stack. */
    Plan *plan = malloc(sizeof *plan);
    double share = o.rank_memory > 0 ? o.rank_memory : host_rank_share((int)o.ranks);
    PlanRequest req = {(int)o.ranks, o.context, o.stages, (int)o.nope_group, (int)o.chunk, share};
    if (!plan)
        rc = swan_error_set(&err, "plan: out of memory");
    else
        rc = plan_make(&cfg, &req, plan, &err);
    if (rc)
        cli_error("%s", err.msg);
    else
        plan_print(&cfg, plan, stdout);
    free(plan);
    swan_config_free(&cfg);
    return rc ? 1 : 0;
}
