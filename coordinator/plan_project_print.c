/* The projection as a table for people and as JSON for scripts; both say
 * it is projected, not measured. */
#include <cJSON.h>
#include <stdlib.h>

#include "plan_project.h"

void project_print(const Plan *plan, const ProjectOptions *o, const Projection *p, FILE *out) {
    fprintf(out, "projected (cost model, not measured): %.1f tokens/s, bound by %s\n", p->tokens_per_s,
            p->bound);
    fprintf(out,
            "projected over a batch of %d documents of %ld tokens (pipeline fill and drain): "
            "%.1f tokens/s\n",
            o->in_flight, plan->context, p->batch_tokens_per_s);
    fprintf(out, "stage  busy us/token  waiting us/token  busy share\n");
    double t = p->tokens_per_s > 0 ? 1.0 / p->tokens_per_s : 0;
    for (int s = 0; s < plan->nstages; s++)
        fprintf(out, "%5d  %13.2f  %16.2f  %9.0f%%\n", s, p->busy[s] * 1e6, p->wait[s] * 1e6,
                t > 0 ? 100 * p->busy[s] / t : 0);
    fprintf(out, "link (rank -> rank)  bytes/token\n");
    for (int i = 0; i < p->nlinks; i++)
        fprintf(out, "%8d -> %-8d  %11.0f\n", p->links[i].from, p->links[i].to,
                p->links[i].bytes_per_token);
    if (o->link_rate > 0)
        fprintf(out, "busiest host link: %.0f bytes/token at %.3g bit/s\n", p->host_link_bytes,
                o->link_rate);
    fprintf(out, "rank  memory MB (weights as f32, caches of %d documents)\n",
            o->in_flight > 0 ? o->in_flight : 1);
    for (int r = 1; r < p->nranks; r++) fprintf(out, "%4d  %9.2f\n", r, p->rank_memory[r] / 1048576.0);
}

static cJSON *stages_json(const Plan *plan, const Projection *p) {
    cJSON *a = cJSON_CreateArray();
    for (int s = 0; a && s < plan->nstages; s++) {
        const PlanStage *st = &plan->stages[s];
        cJSON *o = cJSON_CreateObject();
        if (!o) break;
        cJSON_AddNumberToObject(o, "stage", s);
        cJSON_AddNumberToObject(o, "first_layer", st->layer_begin);
        cJSON_AddNumberToObject(o, "last_layer", st->layer_end - 1);
        cJSON_AddNumberToObject(o, "ranks", st->nranks);
        cJSON_AddNumberToObject(o, "global_layers", p->nglobal[s]);
        cJSON_AddNumberToObject(o, "busy_s_per_token", p->busy[s]);
        cJSON_AddNumberToObject(o, "waiting_s_per_token", p->wait[s]);
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

static cJSON *links_json(const Projection *p) {
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < p->nlinks; i++) {
        cJSON *o = cJSON_CreateObject();
        if (!o) break;
        cJSON_AddNumberToObject(o, "from", p->links[i].from);
        cJSON_AddNumberToObject(o, "to", p->links[i].to);
        cJSON_AddNumberToObject(o, "bytes_per_token", p->links[i].bytes_per_token);
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

static cJSON *ranks_json(const Projection *p) {
    cJSON *a = cJSON_CreateArray();
    for (int r = 1; a && r < p->nranks; r++) {
        cJSON *o = cJSON_CreateObject();
        if (!o) break;
        cJSON_AddNumberToObject(o, "rank", r);
        cJSON_AddNumberToObject(o, "memory_bytes", p->rank_memory[r]);
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

void project_print_json(const Plan *plan, const ProjectOptions *o, const Projection *p, FILE *out) {
    cJSON *j = cJSON_CreateObject();
    if (!j) return;
    cJSON_AddBoolToObject(j, "projected", 1);
    cJSON_AddNumberToObject(j, "tokens_per_s", p->tokens_per_s);
    cJSON_AddNumberToObject(j, "batch_tokens_per_s", p->batch_tokens_per_s);
    cJSON_AddNumberToObject(j, "in_flight", o->in_flight);
    cJSON_AddStringToObject(j, "bound", p->bound);
    cJSON_AddNumberToObject(j, "context", (double)plan->context);
    cJSON_AddNumberToObject(j, "chunk", (double)o->chunk);
    cJSON_AddNumberToObject(j, "link_rate", o->link_rate);
    cJSON_AddNumberToObject(j, "busiest_host_link_bytes_per_token", p->host_link_bytes);
    cJSON_AddItemToObject(j, "stages", stages_json(plan, p));
    cJSON_AddItemToObject(j, "links", links_json(p));
    cJSON_AddItemToObject(j, "ranks", ranks_json(p));
    char *s = cJSON_PrintUnformatted(j);
    if (s) fprintf(out, "%s\n", s);
    free(s);
    cJSON_Delete(j);
}
