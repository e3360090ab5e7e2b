#include "cost_model.h"

double cost_layer_weight_flops(const SwanConfig *c) {
    double d = c->hidden_size, hd = c->head_dim, h = c->num_heads, kv = c->num_kv_heads;
    return 2.0 * (d * (h + 2 * kv) * hd + h * hd * d + 3.0 * d * c->intermediate_size);
}

/* Mean visible keys over positions 0 .. n-1 of a document of n tokens. */
static double mean_keys(const SwanConfig *c, LayerKind kind, long n) {
    double w = (double)c->sliding_window;
    if (kind == LAYER_GLOBAL || n <= w) return (n + 1) / 2.0;
    return (w * (w + 1) / 2.0 + (n - w) * w) / n;
}

StageWork cost_stage_work(const SwanConfig *c, int begin, int end, long context, int last) {
    StageWork w = {0};
    /* q.k and the weights' product with v: 2 FLOPs each per key and dimension */
    double attn = 4.0 * c->num_heads * c->head_dim;
    for (int i = begin; i < end; i++) {
        w.products += cost_layer_weight_flops(c);
        if (c->layer_kind[i] == LAYER_GLOBAL) {
            w.global_attn += attn * mean_keys(c, LAYER_GLOBAL, context);
            w.nglobal++;
        } else {
            w.window_attn += attn * mean_keys(c, LAYER_WINDOW, context);
        }
    }
    if (last) w.products += 2.0 * c->vocab_size * c->hidden_size;
    return w;
}

double cost_leader_seconds(const StageWork *w, const Calibration *cal, int g, long chunk) {
    return w->products / (calibration_gemm_gflops(cal, chunk) * 1e9) +
           w->window_attn / (cal->attention_window_gflops * 1e9) + cost_member_seconds(w, cal, g);
}

double cost_member_seconds(const StageWork *w, const Calibration *cal, int g) {
    return w->global_attn / g / (cal->attention_global_gflops * 1e9);
}

double cost_leader_bytes(const SwanConfig *c, int nglobal, int g, int first, int last, int wire_bytes) {
    double in = first ? COST_TOKEN_BYTES : cost_activation_bytes(c, wire_bytes);
    double out = last ? COST_TOKEN_BYTES : cost_activation_bytes(c, wire_bytes);
    return in + out +
           (g - 1) * (cost_member_bytes_out(c, nglobal, g) + cost_member_bytes_in(c, nglobal));
}

double cost_hop_seconds(const StageWork *w, const Calibration *cal, int g, long chunk, double bytes,
                        double host_bytes) {
    double msgs = 2 + 2.0 * w->nglobal * (g - 1);
    return msgs * cal->message_seconds / (double)chunk + bytes * cal->byte_seconds +
           host_bytes * cal->host_byte_seconds;
}

double cost_member_hop_seconds(const SwanConfig *c, const StageWork *w, const Calibration *cal, int g,
                               long chunk, int away) {
    double bytes = cost_member_bytes_out(c, w->nglobal, g) + cost_member_bytes_in(c, w->nglobal);
    return 2.0 * w->nglobal * cal->message_seconds / (double)chunk +
           bytes * (cal->byte_seconds + (away ? cal->host_byte_seconds : 0));
}

double cost_activation_bytes(const SwanConfig *c, int wire_bytes) {
    return (double)c->hidden_size * wire_bytes;
}

/* Queries to every member, and its 1/g of the new K/V rows to keep. */
double cost_member_bytes_out(const SwanConfig *c, int nglobal, int g) {
    double q = (double)c->num_heads * c->head_dim * 4, kv = 2.0 * c->num_kv_heads * c->head_dim * 4;
    return nglobal * (q + kv / g);
}

/* A partial output per head and its running max and sum. */
double cost_member_bytes_in(const SwanConfig *c, int nglobal) {
    double q = (double)c->num_heads * c->head_dim * 4;
    return nglobal * (q + 2.0 * c->num_heads * 4);
}

int cost_host_of(const RankHosts *h, int r) {
    if (h->hosts <= 1) return 0;
    if (h->host_of && r >= 0 && r < h->nranks) return h->host_of[r];
    return r % h->hosts;
}

int cost_crosses(const RankHosts *h, int a, int b) {
    return h->hosts > 1 && cost_host_of(h, a) != cost_host_of(h, b);
}

double cost_fill_fraction(int nstages, long chunk, int in_flight, long context) {
    double batch = (double)(in_flight > 0 ? in_flight : 1) * (double)context;
    return (nstages - 1) * (double)chunk / batch;
}
