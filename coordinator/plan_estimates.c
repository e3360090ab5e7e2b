/* What a plan's ranks hold: weights, caches per document, chunk scratch,
 * and from those the longest document and the most documents that fit. */
#include "cost_model.h"
#include "planner_impl.h"

static double layer_weight_bytes(const SwanConfig *c) {
    double d = c->hidden_size, hd = c->head_dim;
    double attn = d * (c->num_heads + 2.0 * c->num_kv_heads) * hd + c->num_heads * hd * d;
    return 4.0 * (2 * d + attn + 3.0 * d * c->intermediate_size);
}

void plan_stage_estimates(const SwanConfig *cfg, long context, int last, int index, PlanStage *st) {
    double vd = (double)cfg->vocab_size * cfg->hidden_size;
    double kv_row = (double)cfg->num_kv_heads * cfg->head_dim * 2 * 4;
    long per_rank = (context + st->nranks - 1) / st->nranks;
    long window = context < cfg->sliding_window ? context : cfg->sliding_window;
    StageWork w = cost_stage_work(cfg, st->layer_begin, st->layer_end, context, index == last);
    st->flops_per_token = w.products + w.window_attn + w.global_attn / st->nranks;
    st->weight_bytes = layer_weight_bytes(cfg) * (st->layer_end - st->layer_begin);
    st->window_cache_bytes = st->global_cache_bytes = 0;
    for (int i = st->layer_begin; i < st->layer_end; i++) {
        if (cfg->layer_kind[i] == LAYER_GLOBAL)
            st->global_cache_bytes += per_rank * kv_row;
        else
            st->window_cache_bytes += window * kv_row;
    }
    if (index == 0) st->weight_bytes += 4 * vd;
    /* a tied head reads the embedding, which stage 0 already counted */
    if (index == last)
        st->weight_bytes += 4 * (cfg->hidden_size + (cfg->tie_word_embeddings && index == 0 ? 0 : vd));
}

double plan_fixed_bytes(const SwanConfig *cfg, const Plan *plan, int k, int group_index, int chunk) {
    const PlanStage *st = &plan->stages[k];
    if (group_index > 0) return need_member_scratch_bytes(cfg, chunk);
    return st->weight_bytes +
           need_leader_scratch_bytes(cfg, chunk, k == plan->nstages - 1, st->nranks, 1);
}

long plan_stage_longest_doc(const SwanConfig *cfg, const Plan *plan, int k, int chunk) {
    const PlanStage *st = &plan->stages[k];
    long longest = NEED_ANY_LENGTH;
    for (int g = 0; g < st->nranks; g++) {
        double budget = plan->rank_memory - plan_fixed_bytes(cfg, plan, k, g, chunk);
        long n = need_longest_doc(cfg, st->layer_begin, st->layer_end, st->nranks, g, budget);
        if (n < longest) longest = n;
    }
    return longest;
}

int plan_docs_fit(const SwanConfig *cfg, const Plan *plan, int chunk, long context, int most) {
    if (plan->rank_memory <= 0) return most;
    int fit = most;
    for (int k = 0; k < plan->nstages; k++) {
        const PlanStage *st = &plan->stages[k];
        for (int g = 0; g < st->nranks; g++) {
            double left = plan->rank_memory - plan_fixed_bytes(cfg, plan, k, g, chunk);
            double doc = need_doc_bytes(cfg, st->layer_begin, st->layer_end, context, st->nranks, g);
            int n = left < 0 ? 0 : doc <= 0 ? most : left / doc >= most ? most : (int)(left / doc);
            if (n < fit) fit = n;
        }
    }
    return fit;
}
