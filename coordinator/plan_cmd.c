/* swan plan: show how a model would be cut into stages for a world size,
 * from config.json alone, so it answers before any weights are read; with
 * --project, also what the cost model predicts for it (plan_project.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "config.h"
#include "host_memory.h"
#include "plan_project.h"
#include "planner.h"

static const char plan_usage[] =
    "usage: swan plan -m MODEL_DIR --ranks N --context LEN [--stages 0-3,4-7]\n"
    "                 [--nope-group G] [--chunk C] [--in-flight B] [--project]\n"
    "  -m, --model DIR     model directory (only config.json is read)\n"
    "  --ranks N           MPI world size, coordinator included (>= 2)\n"
    "  --context LEN       expected document length in tokens\n"
    "  --stages SPEC       inclusive layer ranges, one per stage, in order\n"
    "  --nope-group G      ranks per stage holding global (NoPE) layers\n"
    "  --chunk C, --in-flight B   as 'swan score'; left out, the cost model chooses\n"
    "                      them (as 'swan score' does under mpirun)\n"
    "  --calibration FILE  the rates of 'swan bench calibrate' the cost model uses\n"
    "                      (default: " CALIBRATION_DEFAULT_FILE " when it is here,\n"
    "                      else built-in rates)\n"
    "  --project           predict tokens/s, per-stage busy and waiting time, bytes per\n"
    "                      token on each link and memory per rank\n"
    "  --link-rate RATE    every host's link, as tc writes it: 10gbit, 1gbit, 100mbit\n"
    "  --hosts H           hosts the ranks are spread over, rank r on host r mod H\n"
    "                      (default: one host per rank)\n"
    "  --cores C           cores all ranks share (default: a core for each rank)\n"
    "  --wire-dtype f32|bf16   activations between stages, as 'swan score'\n"
    "  --json              the projection as one JSON object\n"
    "  --max-rank-memory SIZE  bytes (or K/M/G) a rank may use, for the longest\n"
    "                      documents and documents in flight (default: 90%% of this\n"
    "                      host's memory over --ranks)\n";

typedef struct {
    const char *model_dir;
    long ranks, context, nope_group, chunk;
    double rank_memory;
    const char *stages;
    int project, json;
    const char *calibration;
    long hosts, cores, in_flight;
    double link_rate; /* bits/s, 0: none given */
    int wire_bf16;
} PlanOptions;

/* The options that take no value; 1 if a was one. */
static int parse_plan_flag(const char *a, PlanOptions *o) {
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
        fputs(plan_usage, stdout);
        exit(0);
    }
    if (!strcmp(a, "--project")) return o->project = 1;
    if (!strcmp(a, "--json")) return o->json = 1;
    return 0;
}

/* The cost model's options; 1 if a was one (its value checked into *rc). */
static int parse_project_option(const char *a, const char *val, PlanOptions *o, int *rc) {
    if (!strcmp(a, "--link-rate"))
        *rc = cli_parse_rate(a, val, &o->link_rate);
    else if (!strcmp(a, "--calibration"))
        o->calibration = val;
    else if (!strcmp(a, "--hosts"))
        *rc = cli_parse_long(a, val, 1, PROJECT_MAX_RANKS, &o->hosts);
    else if (!strcmp(a, "--cores"))
        *rc = cli_parse_long(a, val, 1, 1L << 20, &o->cores);
    else if (!strcmp(a, "--chunk"))
        *rc = cli_parse_long(a, val, 1, 1 << 20, &o->chunk);
    else if (!strcmp(a, "--in-flight"))
        *rc = cli_parse_long(a, val, 1, 1 << 20, &o->in_flight);
    else if (!strcmp(a, "--wire-dtype"))
        *rc = cli_parse_wire_dtype(a, val, &o->wire_bf16);
    else
        return 0;
    return 1;
}

/* One option and its value at argv[*i]; -1 after reporting a bad one. */
static int parse_plan_option(int argc, char **argv, int *i, PlanOptions *o) {
    const char *a = argv[*i];
    const char *val = *i + 1 < argc ? argv[*i + 1] : NULL;
    if (parse_plan_flag(a, o)) return 0;
    if (!val) {
        cli_error("plan: %s needs a value", a);
        return -1;
    }
    (*i)++;
    int rc = 0;
    if (parse_project_option(a, val, o, &rc)) return rc;
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

/* The projection of the plan; the table goes after the plan, JSON alone. */
static int project(const SwanConfig *cfg, const Plan *plan, const PlanOptions *o,
                   const Calibration *cal) {
    ProjectOptions po = {.link_rate = o->link_rate,
                         .wire_bytes = o->wire_bf16 ? 2 : 4,
                         .hosts = (int)o->hosts,
                         .cores = (int)o->cores,
                         .chunk = plan->chunk,
                         .in_flight = plan->in_flight};
    Projection *p = malloc(sizeof *p); /* large tables: off the stack */
    if (!p) {
        cli_error("plan: out of memory");
        return -1;
    }
    plan_project(cfg, plan, cal, &po, p);
    if (o->json) {
        project_print_json(plan, &po, p, stdout);
    } else {
        plan_print(cfg, plan, stdout);
        project_print(plan, &po, p, stdout);
    }
    free(p);
    return 0;
}

/* The plan for the options, with the rates they name (or find). */
static int make_plan(const SwanConfig *cfg, const PlanOptions *o, Calibration *cal, Plan *plan) {
    const char *from;
    SwanError err;
    if (calibration_find(cal, o->calibration, &from, &err) != 0) {
        cli_error("plan: %s", err.msg);
        return -1;
    }
    double share = o->rank_memory > 0 ? o->rank_memory : host_rank_share((int)o->ranks);
    PlanRequest req = {.nranks = (int)o->ranks,
                       .context = o->context,
                       .stages_spec = o->stages,
                       .nope_group = (int)o->nope_group,
                       .chunk = (int)o->chunk,
                       .rank_memory = share,
                       .in_flight = (int)o->in_flight,
                       .cal = cal,
                       .rates_from = from,
                       .link_rate = o->link_rate,
                       .hosts = (int)o->hosts,
                       .wire_bytes = o->wire_bf16 ? 2 : 4};
    if (plan_make(cfg, &req, plan, &err) != 0) {
        cli_error("%s", err.msg);
        return -1;
    }
    return 0;
}

int cmd_plan(int argc, char **argv) {
    PlanOptions o;
    if (parse_plan_options(argc, argv, &o)) return 2;
    SwanConfig cfg;
    if (cli_load_config(o.model_dir, &cfg) != 0) return 1;
    /* Plan is large (a fixed table of stages): keep it off the stack. */
    Plan *plan = malloc(sizeof *plan);
    Calibration cal;
    int rc = -1;
    if (!plan)
        cli_error("plan: out of memory");
    else
        rc = make_plan(&cfg, &o, &cal, plan);
    if (!rc && o.project)
        rc = project(&cfg, plan, &o, &cal);
    else if (!rc)
        plan_print(&cfg, plan, stdout);
    free(plan);
    swan_config_free(&cfg);
    return rc ? 1 : 0;
}
