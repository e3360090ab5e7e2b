/* The planner on configs built in memory: --stages checking, rank
 * assignment, balance and the cost model's effect at long context. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cost_model.h"
#include "memory_need.h"
#include "plan_project.h"
#include "planner.h"

#include "check.h"

/* kinds: one letter per layer, S/N with their usual RoPE flag, s/n unusual. */
static SwanConfig make_cfg(const char *kinds, int d, int heads, int ffn, int vocab, long window) {
    SwanConfig c;
    memset(&c, 0, sizeof c);
    c.vocab_size = vocab;
    c.hidden_size = d;
    c.intermediate_size = ffn;
    c.num_layers = (int)strlen(kinds);
    c.num_heads = heads;
    c.num_kv_heads = heads;
    c.head_dim = d / heads;
    c.rms_norm_eps = 1e-5f;
    c.rope_theta = 10000;
    c.sliding_window = window;
    c.layer_kind = calloc((size_t)c.num_layers, sizeof *c.layer_kind);
    c.layer_rope = calloc((size_t)c.num_layers, 1);
    for (int i = 0; i < c.num_layers; i++) {
        char k = kinds[i];
        c.layer_kind[i] = (k == 'N' || k == 'n') ? LAYER_GLOBAL : LAYER_WINDOW;
        c.layer_rope[i] = k == 'S' || k == 'n';
    }
    c.max_position_embeddings = 4096;
    return c;
}

static void free_cfg(SwanConfig *c) {
    free(c->layer_kind);
    free(c->layer_rope);
}

/* Plan is large; one static instance serves every test. */
static Plan plan;
static SwanError err;

/* Every FLOP at one rate and messages almost free: the cost model reduces
 * to balancing FLOPs, which the tests of the cuts below are written for. */
static Calibration rates(double gemm, double attn_window, double attn_global, double message) {
    return (Calibration){.gemm_gflops = gemm,
                         .attention_window_gflops = attn_window,
                         .attention_global_gflops = attn_global,
                         .message_seconds = message,
                         .context = 4096,
                         .chunk = 256,
                         .threads = 1};
}

static Calibration flat;

static int make_req(const SwanConfig *c, PlanRequest *req) {
    err.msg[0] = '\0';
    if (!req->cal) req->cal = &flat;
    return plan_make(c, req, &plan, &err);
}

static int make(const SwanConfig *c, int nranks, long context, const char *stages, int group) {
    PlanRequest req = {.nranks = nranks,
                       .context = context,
                       .stages_spec = stages,
                       .nope_group = group};
    return make_req(c, &req);
}

static int stage_len(int k) {
    return plan.stages[k].layer_end - plan.stages[k].layer_begin;
}

static int stage_has_global(const SwanConfig *c, int k) {
    for (int i = plan.stages[k].layer_begin; i < plan.stages[k].layer_end; i++)
        if (c->layer_kind[i] == LAYER_GLOBAL) return 1;
    return 0;
}

/* What every plan must satisfy: stages tile the layers, ranks run 1, 2, ...
 * without reuse, window-only stages have one rank, idle ranks add up. */
static void check_invariants(const SwanConfig *c, int nranks, const char *what) {
    int next_layer = 0, next_rank = 1;
    for (int k = 0; k < plan.nstages; k++) {
        const PlanStage *st = &plan.stages[k];
        CHECK(st->layer_begin == next_layer && st->layer_end > st->layer_begin,
              "%s: stage %d covers [%d, %d), expected start %d", what, k, st->layer_begin,
              st->layer_end, next_layer);
        next_layer = st->layer_end;
        CHECK(st->nranks >= 1 && (st->nranks == 1 || stage_has_global(c, k)),
              "%s: stage %d has %d ranks", what, k, st->nranks);
        for (int r = 0; r < st->nranks; r++)
            CHECK(st->ranks[r] == next_rank++, "%s: stage %d rank %d is %d", what, k, r, st->ranks[r]);
    }
    CHECK(next_layer == c->num_layers, "%s: stages end at %d of %d layers", what, next_layer,
          c->num_layers);
    CHECK(next_rank - 1 + plan.idle_ranks == nranks - 1, "%s: %d used + %d idle != %d", what,
          next_rank - 1, plan.idle_ranks, nranks - 1);
}

static void expect_error(const SwanConfig *c, int nranks, const char *stages, int group,
                         const char *needle) {
    int rc = make(c, nranks, 1024, stages, group);
    CHECK(rc == -1, "--stages '%s' accepted", stages ? stages : "(null)");
    CHECK(strstr(err.msg, needle) != NULL, "--stages '%s': error '%s' lacks '%s'",
          stages ? stages : "(null)", err.msg, needle);
    CHECK(!strchr(err.msg, '\n'), "error is not one line: %s", err.msg);
}

static void test_tiling_errors(void) {
    SwanConfig c = make_cfg("SSSNSSSN", 64, 4, 128, 256, 16);
    expect_error(&c, 9, "0-2,4-7", 0, "layers 3-3 are in no stage");
    expect_error(&c, 9, "0-3,3-7", 0, "overlaps");
    expect_error(&c, 9, "4-7,0-3", 0, "in no stage");
    expect_error(&c, 9, "0-3,4-8", 0, "layer 8 is out of range");
    expect_error(&c, 9, "0-3", 0, "layers 4-7 are in no stage");
    expect_error(&c, 9, "0-3;4-7", 0, "cannot read");
    expect_error(&c, 9, "zero", 0, "cannot read");
    expect_error(&c, 9, "0-3,", 0, "cannot read");
    expect_error(&c, 9, "0-,4-7", 0, "cannot read");
    expect_error(&c, 9, "-3,4-7", 0, "cannot read");
    expect_error(&c, 9, "0-3,4-7 ", 0, "cannot read");
    expect_error(&c, 9, "", 0, "empty");
    expect_error(&c, 9, "3-0,4-7", 0, "backwards");
    expect_error(&c, 9, "0-99999999999999999999999", 0, "out of range");
    /* good specs, singles included */
    CHECK(make(&c, 9, 1024, "0,1-6,7", 0) == 0 && plan.nstages == 3, "0,1-6,7: %s", err.msg);
    check_invariants(&c, 9, "0,1-6,7");
    CHECK(make(&c, 9, 1024, "0-7", 0) == 0 && plan.nstages == 1, "0-7: %s", err.msg);
    free_cfg(&c);
}

static void test_too_few_ranks(void) {
    SwanConfig c = make_cfg("SSSNSSSN", 64, 4, 128, 256, 16);
    expect_error(&c, 4, "0-1,2-3,4-5,6-7", 0, "needs 4 node ranks");
    expect_error(&c, 4, "0-3,4-7", 2, "needs 4 node ranks");
    expect_error(&c, 4, NULL, 4, "needs 4 node ranks");
    expect_error(&c, 1, NULL, 0, "at least 2 ranks");
    CHECK(make(&c, 5, 1024, "0-1,2-3,4-5,6-7", 0) == 0, "4 stages on 4 nodes: %s", err.msg);
    free_cfg(&c);
}

static void test_nope_group(void) {
    SwanConfig c = make_cfg("SSSNSSSN", 64, 4, 128, 256, 16);
    CHECK(make(&c, 5, 4096, "0-3,4-7", 2) == 0, "%s", err.msg);
    check_invariants(&c, 5, "0-3,4-7 G2");
    CHECK(plan.stages[0].nranks == 2 && plan.stages[0].ranks[0] == 1 && plan.stages[1].nranks == 2 &&
              plan.stages[1].ranks[0] == 3 && plan.idle_ranks == 0,
          "G2 ranks: stage 0 %d from %d, stage 1 %d from %d", plan.stages[0].nranks,
          plan.stages[0].ranks[0], plan.stages[1].nranks, plan.stages[1].ranks[0]);
    /* a stage without global layers keeps one rank whatever G is */
    CHECK(make(&c, 6, 4096, "0-2,3-7", 3) == 0, "%s", err.msg);
    check_invariants(&c, 6, "0-2,3-7 G3");
    CHECK(plan.stages[0].nranks == 1 && plan.stages[1].nranks == 3 && plan.stages[1].ranks[0] == 2 &&
              plan.idle_ranks == 1,
          "G3: %d and %d ranks, %d idle", plan.stages[0].nranks, plan.stages[1].nranks,
          plan.idle_ranks);
    double kv_row = 4.0 * 16 * 2 * 4; /* KV * hd * (K and V) * f32 */
    CHECK(plan.stages[1].global_cache_bytes == 2 * ((4096 + 2) / 3) * kv_row,
          "global cache per rank %.0f", plan.stages[1].global_cache_bytes);
    CHECK(plan.stages[0].global_cache_bytes == 0 &&
              plan.stages[0].window_cache_bytes == 3 * 16 * kv_row,
          "stage 0 caches %.0f %.0f", plan.stages[0].global_cache_bytes,
          plan.stages[0].window_cache_bytes);
    /* free cuts with G fixed: every stage holding a global layer has G ranks */
    CHECK(make(&c, 9, 65536, NULL, 2) == 0, "%s", err.msg);
    check_invariants(&c, 9, "free G2");
    for (int k = 0; k < plan.nstages; k++)
        CHECK(plan.stages[k].nranks == (stage_has_global(&c, k) ? 2 : 1),
              "free G2: stage %d has %d ranks", k, plan.stages[k].nranks);
    free_cfg(&c);
}

static void test_balance_equal_layers(void) {
    SwanConfig c = make_cfg("SSSSSSSS", 64, 4, 256, 16, 8);
    CHECK(make(&c, 5, 1024, NULL, 0) == 0, "%s", err.msg);
    check_invariants(&c, 5, "8 equal on 4");
    CHECK(plan.nstages == 4, "8 equal layers on 4 nodes: %d stages", plan.nstages);
    for (int k = 0; k < plan.nstages; k++)
        CHECK(stage_len(k) == 2, "stage %d has %d layers", k, stage_len(k));
    CHECK(plan.idle_ranks == 0, "idle %d", plan.idle_ranks);
    /* 3 nodes: 3-3-2 is the best split of 8 (the head makes the last one lighter) */
    CHECK(make(&c, 4, 1024, NULL, 0) == 0 && plan.nstages == 3, "%s", err.msg);
    CHECK(stage_len(0) == 3 && stage_len(1) == 3 && stage_len(2) == 2, "8 on 3: %d %d %d", stage_len(0),
          stage_len(1), stage_len(2));
    free_cfg(&c);
}

/* Sized so a global layer at 8K context costs about three window layers. */
static void test_long_context_sssn(void) {
    SwanConfig c = make_cfg("SSSNSSSNSSSN", 256, 4, 1024, 256, 128);
    CHECK(make(&c, 7, 8192, NULL, 0) == 0, "%s", err.msg);
    check_invariants(&c, 7, "SSSN x3 on 6");
    int max_global = 0, min_window = 1 << 30;
    for (int k = 0; k < plan.nstages; k++) {
        if (stage_has_global(&c, k)) {
            if (stage_len(k) > max_global) max_global = stage_len(k);
        } else if (stage_len(k) < min_window) {
            min_window = stage_len(k);
        }
    }
    CHECK(min_window < (1 << 30) && max_global < min_window,
          "global stages hold up to %d layers, window-only stages at least %d", max_global, min_window);
    /* short context: attention is cheap, the cut is even again */
    CHECK(make(&c, 7, 16, NULL, 0) == 0 && plan.nstages == 6, "%s", err.msg);
    for (int k = 0; k < plan.nstages; k++)
        CHECK(stage_len(k) == 2, "short context: stage %d has %d layers", k, stage_len(k));
    free_cfg(&c);
}

static void test_two_ranks(void) {
    SwanConfig c = make_cfg("SSSNSSSN", 64, 4, 128, 256, 16);
    CHECK(make(&c, 2, 100000, NULL, 0) == 0, "%s", err.msg);
    check_invariants(&c, 2, "2 ranks");
    CHECK(plan.nstages == 1 && stage_len(0) == 8 && plan.stages[0].nranks == 1 &&
              plan.stages[0].ranks[0] == 1 && plan.idle_ranks == 0,
          "2 ranks: %d stages, %d ranks", plan.nstages, plan.stages[0].nranks);
    free_cfg(&c);
}

static void test_more_ranks_than_layers(void) {
    SwanConfig c = make_cfg("SSSS", 64, 4, 128, 256, 16);
    CHECK(make(&c, 10, 4096, NULL, 0) == 0, "%s", err.msg);
    check_invariants(&c, 10, "4 window layers on 9");
    CHECK(plan.nstages == 4 && plan.idle_ranks == 5, "%d stages, %d idle", plan.nstages,
          plan.idle_ranks);
    free_cfg(&c);
}

/* Leftover ranks join a global stage only when that lowers the bottleneck. */
static void test_idle_ranks(void) {
    SwanConfig c = make_cfg("SSSN", 64, 4, 128, 256, 16);
    CHECK(make(&c, 10, 1 << 20, NULL, 0) == 0, "%s", err.msg);
    check_invariants(&c, 10, "SSSN 1M");
    int last = plan.nstages - 1;
    CHECK(plan.stages[last].layer_end == 4 && plan.stages[last].nranks > 1,
          "long context: global stage has %d ranks", plan.stages[last].nranks);
    /* The LM head makes the last stage the bottleneck; a bigger group for
     * the global layer at stage 0 would not help, so the ranks stay idle. */
    SwanConfig first = make_cfg("NSSS", 64, 4, 128, 256, 16);
    CHECK(make(&first, 10, 16, NULL, 0) == 0, "%s", err.msg);
    check_invariants(&first, 10, "NSSS 16");
    CHECK(plan.nstages == 4 && plan.idle_ranks == 5 && plan.stages[0].nranks == 1,
          "short context: %d stages, %d idle", plan.nstages, plan.idle_ranks);
    free_cfg(&first);
    CHECK(make(&c, 10, 1 << 20, NULL, 1) == 0, "%s", err.msg);
    check_invariants(&c, 10, "SSSN 1M G1");
    /* the global layer alone is the bottleneck: cutting SSS further gains nothing */
    CHECK(plan.nstages == 2 && plan.stages[1].layer_begin == 3 && plan.idle_ranks == 7,
          "--nope-group 1: %d stages, %d idle", plan.nstages, plan.idle_ranks);
    free_cfg(&c);
}

static void test_weight_bytes(void) {
    SwanConfig c = make_cfg("SSSN", 64, 4, 128, 256, 16);
    double layer = 4.0 * (2 * 64 + 4 * 64 * 64 + 3 * 64 * 128);
    double emb = 4.0 * 256 * 64;
    CHECK(make(&c, 3, 1024, "0-1,2-3", 0) == 0, "%s", err.msg);
    CHECK(plan.stages[0].weight_bytes == 2 * layer + emb, "stage 0 weights %.0f",
          plan.stages[0].weight_bytes);
    CHECK(plan.stages[1].weight_bytes == 2 * layer + 4 * 64 + emb, "last stage weights %.0f",
          plan.stages[1].weight_bytes);
    c.tie_word_embeddings = 1;
    CHECK(make(&c, 3, 1024, "0-1,2-3", 0) == 0 &&
              plan.stages[1].weight_bytes == 2 * layer + 4 * 64 + emb,
          "tied head on a later stage still needs the embedding");
    CHECK(make(&c, 2, 1024, NULL, 0) == 0 && plan.stages[0].weight_bytes == 4 * layer + 4 * 64 + emb,
          "tied single stage counts the embedding once: %.0f", plan.stages[0].weight_bytes);
    /* the window cache never outgrows the context */
    CHECK(make(&c, 2, 10, NULL, 0) == 0 &&
              plan.stages[0].window_cache_bytes == 3 * 10 * 4.0 * 16 * 2 * 4,
          "window cache at context 10: %.0f", plan.stages[0].window_cache_bytes);
    free_cfg(&c);
}

static void test_print(void) {
    SwanConfig c = make_cfg("sSSnSSSN", 64, 4, 128, 256, 16);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CHECK(make(&c, 4, 4096, "0-3,4-7", 0) == 0, "%s", err.msg);
    plan_print(&c, &plan, f);
    fclose(f);
    CHECK(strstr(buf, "sSSn") && strstr(buf, "SSSN"), "kinds missing:\n%s", buf);
    CHECK(strstr(buf, "0-3") && strstr(buf, "4-7"), "layer spans missing:\n%s", buf);
    /* the spare rank joins the last stage, which pays the LM head */
    CHECK(strstr(buf, "bottleneck: stage 0") && strstr(buf, "idle ranks: 0") && strstr(buf, "2-3 "),
          "summary missing:\n%s", buf);
    free(buf);
    free_cfg(&c);
}

/* The cost model's batch time of the current plan. */
static double batch_time(void) {
    return plan.period *
           (1 + cost_fill_fraction(plan.nstages, plan.chunk, plan.in_flight, plan.context));
}

/* A group member off its leader's host pays the link for every token. */
static int members_off_host(int nhosts) {
    RankHosts hosts = {nhosts, NULL, 0};
    int n = 0;
    for (int k = 0; k < plan.nstages; k++)
        for (int m = 1; m < plan.stages[k].nranks; m++)
            n += cost_crosses(&hosts, plan.stages[k].ranks[0], plan.stages[k].ranks[m]);
    return n;
}

static void test_slow_link_keeps_groups_home(void) {
    SwanConfig c = make_cfg("SSSNSSSN", 64, 4, 128, 256, 16);
    PlanRequest fast = {.nranks = 9, .context = 1 << 18, .link_rate = 1e12, .hosts = 4};
    CHECK(make_req(&c, &fast) == 0, "%s", err.msg);
    check_invariants(&c, 9, "fast link");
    int fast_off = members_off_host(4);
    CHECK(fast_off > 0, "fast link: no group member on another host (long context should want groups)");
    PlanRequest slow = fast;
    slow.link_rate = 1e5;
    CHECK(make_req(&c, &slow) == 0, "%s", err.msg);
    check_invariants(&c, 9, "slow link");
    CHECK(members_off_host(4) < fast_off, "slow link: %d members off host, fast %d",
          members_off_host(4), fast_off);
    CHECK(strstr(plan.why_layout, "links") != NULL, "the reason leaves out the link: %s",
          plan.why_layout);
    /* the same slow link on one host costs nothing: the groups come back */
    slow.hosts = 1;
    CHECK(make_req(&c, &slow) == 0 && members_off_host(4) == fast_off, "one host: %d members",
          members_off_host(4));
    free_cfg(&c);
}

/* Sum of group sizes over stages holding global layers. */
static int group_ranks(const SwanConfig *c) {
    int n = 0;
    for (int k = 0; k < plan.nstages; k++)
        if (stage_has_global(c, k)) n += plan.stages[k].nranks;
    return n;
}

static void test_attention_rate_moves_groups(void) {
    SwanConfig c = make_cfg("SSSNSSSN", 64, 4, 128, 256, 16);
    Calibration slow_attn = rates(10, 10, 0.5, 1e-6), fast_attn = rates(10, 10, 500, 1e-6);
    PlanRequest req = {.nranks = 9, .context = 65536, .cal = &slow_attn};
    CHECK(make_req(&c, &req) == 0, "%s", err.msg);
    int slow_groups = group_ranks(&c);
    req.cal = &fast_attn;
    CHECK(make_req(&c, &req) == 0, "%s", err.msg);
    check_invariants(&c, 9, "fast attention");
    CHECK(group_ranks(&c) < slow_groups,
          "global stages take %d ranks with fast attention, %d with slow", group_ranks(&c),
          slow_groups);
    free_cfg(&c);
}

static void test_message_cost_moves_chunk(void) {
    SwanConfig c = make_cfg("SSSSSSSS", 64, 4, 256, 256, 16);
    Calibration cheap = rates(10, 10, 10, 1e-8), dear = rates(10, 10, 10, 2e-3);
    PlanRequest req = {.nranks = 5, .context = 4096, .cal = &cheap};
    CHECK(make_req(&c, &req) == 0, "%s", err.msg);
    int cheap_chunk = plan.chunk;
    CHECK(cheap_chunk >= PLAN_MIN_CHUNK && cheap_chunk <= PLAN_MAX_CHUNK, "chunk %d", cheap_chunk);
    req.cal = &dear;
    CHECK(make_req(&c, &req) == 0, "%s", err.msg);
    CHECK(plan.chunk > cheap_chunk, "chunk %d with dear messages, %d with cheap", plan.chunk,
          cheap_chunk);
    CHECK(strstr(plan.why_chunk, "cost model") && !strchr(plan.why_chunk, '\n'), "why: %s",
          plan.why_chunk);
    /* the choice is the best of the chunks it could have been told */
    double chosen = batch_time();
    for (int chunk = PLAN_MIN_CHUNK; chunk <= PLAN_MAX_CHUNK; chunk *= 2) {
        req.chunk = chunk;
        CHECK(make_req(&c, &req) == 0, "%s", err.msg);
        CHECK(batch_time() >= chosen * (1 - 1e-9), "chunk %d: %.3g s/token beats the choice's %.3g",
              chunk, batch_time(), chosen);
    }
    free_cfg(&c);
}

/* Every rank holds its weights, scratch and in_flight documents within the limit. */
static void check_memory(const SwanConfig *c, double limit) {
    for (int k = 0; k < plan.nstages; k++) {
        const PlanStage *st = &plan.stages[k];
        for (int g = 0; g < st->nranks; g++) {
            double need = plan_fixed_bytes(c, &plan, k, g, plan.chunk) +
                          plan.in_flight * need_doc_bytes(c, st->layer_begin, st->layer_end,
                                                          plan.context, st->nranks, g);
            CHECK(need <= limit, "stage %d rank %d: %d documents need %.0f bytes, limit %.0f", k, g,
                  plan.in_flight, need, limit);
        }
    }
}

static void test_in_flight_within_memory(void) {
    SwanConfig c = make_cfg("SSSNSSSN", 64, 4, 128, 256, 16);
    PlanRequest req = {.nranks = 5, .context = 4096, .rank_memory = 1e12};
    CHECK(make_req(&c, &req) == 0, "%s", err.msg);
    int roomy = plan.in_flight;
    CHECK(roomy >= 2 && roomy <= PLAN_MAX_IN_FLIGHT, "in flight %d", roomy);
    check_memory(&c, 1e12);
    /* room for one document and a half beside the weights: one in flight */
    req.context = 1 << 20;
    double doc = need_doc_bytes(&c, 0, 8, req.context, 1, 0);
    req.rank_memory = 1.5 * doc + 8e6;
    req.nranks = 2;
    CHECK(make_req(&c, &req) == 0, "%s", err.msg);
    CHECK(plan.in_flight == 1, "tight memory: %d in flight", plan.in_flight);
    check_memory(&c, req.rank_memory);
    CHECK(strstr(plan.why_in_flight, "memory") != NULL, "why: %s", plan.why_in_flight);
    free_cfg(&c);
}

static void test_explicit_options_win(void) {
    SwanConfig c = make_cfg("SSSNSSSN", 64, 4, 128, 256, 16);
    PlanRequest req = {.nranks = 9,
                       .context = 1 << 18,
                       .stages_spec = "0-3,4-7",
                       .nope_group = 3,
                       .chunk = 300,
                       .in_flight = 7,
                       .rank_memory = 1e12,
                       .link_rate = 1e5,
                       .hosts = 4};
    CHECK(make_req(&c, &req) == 0, "%s", err.msg);
    CHECK(plan.chunk == 300 && plan.in_flight == 7 && plan.nstages == 2 && plan.stages[0].nranks == 3 &&
              plan.stages[1].nranks == 3,
          "explicit: chunk %d, in flight %d, %d stages of %d and %d ranks", plan.chunk, plan.in_flight,
          plan.nstages, plan.stages[0].nranks, plan.stages[1].nranks);
    CHECK(!plan.why_chunk[0] && !plan.why_in_flight[0] && !plan.why_layout[0],
          "reasons for given values");
    free_cfg(&c);
}

/* Products that run slower on few rows push the chunk up. */
static void test_gemm_by_chunk_moves_chunk(void) {
    SwanConfig c = make_cfg("SSSSSSSS", 64, 4, 256, 256, 16);
    Calibration even = rates(10, 10, 10, 1e-8), ramp = even;
    for (int k = 0; k < CALIBRATION_CHUNKS; k++) ramp.gemm_by_chunk[k] = 2.0 * (k + 1);
    PlanRequest req = {.nranks = 5, .context = 4096, .cal = &even};
    CHECK(make_req(&c, &req) == 0, "%s", err.msg);
    int even_chunk = plan.chunk;
    req.cal = &ramp;
    CHECK(make_req(&c, &req) == 0, "%s", err.msg);
    CHECK(plan.chunk > even_chunk, "chunk %d with slow small products, %d with even ones", plan.chunk,
          even_chunk);
    CHECK(calibration_gemm_gflops(&ramp, 96) > 2 && calibration_gemm_gflops(&ramp, 96) < 4 &&
              calibration_gemm_gflops(&ramp, 16) == 2 && calibration_gemm_gflops(&ramp, 1 << 20) == 12,
          "interpolation: %g %g %g", calibration_gemm_gflops(&ramp, 96),
          calibration_gemm_gflops(&ramp, 16), calibration_gemm_gflops(&ramp, 1 << 20));
    free_cfg(&c);
}

/* Three stages of three, three and two window layers on ranks 1-3 over
 * hosts (by default rank r on r mod hosts: with 3, the activations cross
 * twice and rank 3's NLL goes home to rank 0). */
static int make_stages_on(const SwanConfig *c, const Calibration *cal, double link_rate, int hosts,
                          const int *host_of) {
    PlanRequest req = {.nranks = 4,
                       .context = 4096,
                       .stages_spec = "0-2,3-5,6-7",
                       .chunk = 256,
                       .in_flight = 2,
                       .link_rate = link_rate,
                       .hosts = hosts,
                       .host_of = host_of,
                       .cal = cal};
    return make_req(c, &req);
}

static void project_stages_on(const SwanConfig *c, const Calibration *cal, double link_rate, int hosts,
                              const int *host_of, Projection *p) {
    ProjectOptions o = {.link_rate = link_rate,
                        .wire_bytes = 4,
                        .hosts = hosts,
                        .host_of = host_of,
                        .chunk = 256,
                        .in_flight = 2};
    plan_project(c, &plan, cal, &o, p);
}

static int near(double a, double b) {
    return a > b * (1 - 1e-9) && a < b * (1 + 1e-9);
}

/* Activations travel while the ranks compute: a link slower than nothing
 * but faster than the stages leaves the period alone, a slower one sets it
 * by itself; a byte across hosts costs the cores host_byte_seconds more. */
static void test_activation_links_overlap_compute(void) {
    SwanConfig c = make_cfg("SSSSSSSS", 64, 4, 256, 256, 16);
    double act = 64 * 4; /* f32 activations a token */
    Calibration cal = flat;
    CHECK(make_stages_on(&c, &cal, 0, 3, NULL) == 0, "%s", err.msg);
    double compute = plan.period;
    double under = 8 * act / (0.5 * compute), over = 8 * act / (2 * compute);
    CHECK(make_stages_on(&c, &cal, under, 3, NULL) == 0 && near(plan.period, compute),
          "a link at half the stage's time: period %.4g us, compute %.4g us", plan.period * 1e6,
          compute * 1e6);
    CHECK(make_stages_on(&c, &cal, over, 3, NULL) == 0 && near(plan.period, 2 * compute),
          "a link at twice the stage's time: period %.4g us, link %.4g us", plan.period * 1e6,
          2 * compute * 1e6);
    Projection p;
    project_stages_on(&c, &cal, under, 3, NULL, &p);
    CHECK(near(1 / p.tokens_per_s, compute) && !strcmp(p.bound, "stage"),
          "projected %.4g us/token (%s), compute %.4g", 1e6 / p.tokens_per_s, p.bound, compute * 1e6);
    project_stages_on(&c, &cal, over, 3, NULL, &p);
    CHECK(near(1 / p.tokens_per_s, 2 * compute) && !strcmp(p.bound, "link"),
          "projected %.4g us/token (%s), link %.4g", 1e6 / p.tokens_per_s, p.bound, 2e6 * compute);
    /* the middle stage's leader sends and receives act bytes across hosts */
    project_stages_on(&c, &cal, under, 3, NULL, &p);
    double middle = p.busy[1];
    cal.host_byte_seconds = 1e-8;
    CHECK(make_stages_on(&c, &cal, under, 3, NULL) == 0 && near(plan.period, compute + 2 * act * 1e-8),
          "host bytes: period %.4g us, expected %.4g", plan.period * 1e6,
          (compute + 2 * act * 1e-8) * 1e6);
    project_stages_on(&c, &cal, under, 3, NULL, &p);
    CHECK(near(p.busy[1], middle + 2 * act * 1e-8), "host bytes: middle stage busy %.4g us, was %.4g",
          p.busy[1] * 1e6, middle * 1e6);
    project_stages_on(&c, &cal, under, 1, NULL, &p);
    CHECK(near(p.busy[1], middle), "one host: middle stage busy %.4g us, was %.4g", p.busy[1] * 1e6,
          middle * 1e6);
    /* where the ranks really are: all three stages on one host, rank 0 on
     * another, so no activation crosses and the links set nothing */
    static const int beside[4] = {0, 1, 1, 1};
    CHECK(make_stages_on(&c, &cal, over, 2, beside) == 0 && plan.period < 2 * compute,
          "stages on one host: period %.4g us, the link would make it %.4g", plan.period * 1e6,
          2e6 * compute);
    project_stages_on(&c, &cal, over, 2, beside, &p);
    CHECK(near(p.busy[1], middle) && p.tokens_per_s > 1 / (2 * compute),
          "stages on one host: middle busy %.4g us (%.4g without host bytes), %.4g tokens/s",
          p.busy[1] * 1e6, middle * 1e6, p.tokens_per_s);
    free_cfg(&c);
}

int main(void) {
    flat = rates(10, 10, 10, 1e-9);
    test_tiling_errors();
    test_too_few_ranks();
    test_nope_group();
    test_balance_equal_layers();
    test_long_context_sssn();
    test_two_ranks();
    test_more_ranks_than_layers();
    test_idle_ranks();
    test_weight_bytes();
    test_print();
    test_slow_link_keeps_groups_home();
    test_attention_rate_moves_groups();
    test_message_cost_moves_chunk();
    test_in_flight_within_memory();
    test_explicit_options_win();
    test_gemm_by_chunk_moves_chunk();
    test_activation_links_overlap_compute();
    return check_summary();
}
