#include "results.h"

#include <cJSON.h>
#include <math.h>
#include <stdlib.h>

static cJSON *position_bins(const double *nll, long ntokens) {
    cJSON *bins = cJSON_CreateArray();
    if (!bins) return NULL;
    for (long lo = 1; lo < ntokens; lo *= 2) {
        long hi = lo * 2 < ntokens ? lo * 2 : ntokens;
        double sum = 0.0;
        for (long t = lo; t < hi; t++) sum += nll[t - 1];
        cJSON *bin = cJSON_CreateObject();
        if (!bin) break;
        cJSON_AddNumberToObject(bin, "lo", (double)lo);
        cJSON_AddNumberToObject(bin, "hi", (double)(lo * 2));
        cJSON_AddNumberToObject(bin, "n", (double)(hi - lo));
        cJSON_AddNumberToObject(bin, "mean_nll", sum / (double)(hi - lo));
        cJSON_AddItemToArray(bins, bin);
    }
    return bins;
}

/* Cache bytes each rank held for the document: measured, for scaling runs. */
static cJSON *rank_stats(const RankStats *stats, int nstats) {
    cJSON *ranks = cJSON_CreateArray();
    for (int i = 0; ranks && i < nstats; i++) {
        cJSON *r = cJSON_CreateObject();
        if (!r) break;
        cJSON_AddNumberToObject(r, "rank", stats[i].rank);
        cJSON_AddStringToObject(r, "host", stats[i].host);
        cJSON_AddNumberToObject(r, "window_cache_bytes", (double)stats[i].window_cache_bytes);
        cJSON_AddNumberToObject(r, "global_cache_bytes", (double)stats[i].global_cache_bytes);
        cJSON_AddNumberToObject(r, "weight_bytes", (double)stats[i].weight_bytes);
        cJSON_AddNumberToObject(r, "peak_rss_bytes", (double)stats[i].peak_rss_bytes);
        cJSON_AddNumberToObject(r, "cpu_seconds", stats[i].cpu_seconds);
        cJSON_AddNumberToObject(r, "global_attention_seconds", stats[i].global_attention_seconds);
        cJSON_AddNumberToObject(r, "pipe_bytes_sent", (double)stats[i].pipe_bytes_sent);
        cJSON_AddNumberToObject(r, "shard_bytes_sent", (double)stats[i].shard_bytes_sent);
        cJSON_AddItemToArray(ranks, r);
    }
    return ranks;
}

char *result_line(const char *id, long ntokens, const double *nll, double seconds,
                  const RankStats *stats, int nstats, const char *model) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    double sum = 0.0;
    for (long i = 0; i + 1 < ntokens; i++) sum += nll[i];
    long scored = ntokens > 1 ? ntokens - 1 : 0;
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddNumberToObject(o, "tokens", (double)ntokens);
    cJSON_AddNumberToObject(o, "scored", (double)scored);
    cJSON_AddNumberToObject(o, "nll_sum", sum);
    cJSON_AddNumberToObject(o, "mean_nll", scored ? sum / scored : 0.0);
    cJSON_AddNumberToObject(o, "ppl", scored ? exp(sum / scored) : 1.0);
    cJSON_AddItemToObject(o, "nll_by_pos", position_bins(nll, ntokens));
    cJSON_AddNumberToObject(o, "seconds", seconds);
    cJSON_AddNumberToObject(o, "tokens_per_s", seconds > 0 ? ntokens / seconds : 0.0);
    cJSON_AddItemToObject(o, "ranks", rank_stats(stats, nstats));
    cJSON_AddStringToObject(o, "model", model);
    char *line = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return line;
}
