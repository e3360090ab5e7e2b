/* check_cache_split RESULTS.jsonl SHORT_ID LONG_ID G
 * From the per-rank cache bytes that swan reports in its result lines:
 * the long document's global-layer cache is split over G ranks, each within
 * 10% of total/G, and window-layer caches are the same size for the short
 * and the long document. Every rank reports the CPU time it has used, and
 * the long document's scoring took some. */
#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    double window, global[64];
    int nglobal;
    int found;
    int cpu_missing; /* ranks without a positive cpu_seconds */
} Split;

static void read_split(cJSON *line, Split *s) {
    cJSON *ranks = cJSON_GetObjectItem(line, "ranks"), *r;
    s->found = 1;
    cJSON_ArrayForEach(r, ranks) {
        double w = cJSON_GetObjectItem(r, "window_cache_bytes")->valuedouble;
        double g = cJSON_GetObjectItem(r, "global_cache_bytes")->valuedouble;
        const cJSON *cpu = cJSON_GetObjectItem(r, "cpu_seconds");
        if (!cJSON_IsNumber(cpu) || !(cpu->valuedouble > 0)) s->cpu_missing++;
        s->window += w;
        if (g > 0 && s->nglobal < 64) s->global[s->nglobal++] = g;
    }
}

int main(int argc, char **argv) {
    if (argc != 5) return 2;
    FILE *f = fopen(argv[1], "r");
    if (!f) return 2;
    Split shorter = {0}, longer = {0};
    char buf[1 << 16];
    while (fgets(buf, sizeof buf, f)) {
        cJSON *line = cJSON_Parse(buf);
        const char *id = line ? cJSON_GetStringValue(cJSON_GetObjectItem(line, "id")) : NULL;
        if (id && !strcmp(id, argv[2])) read_split(line, &shorter);
        if (id && !strcmp(id, argv[3])) read_split(line, &longer);
        cJSON_Delete(line);
    }
    fclose(f);
    int G = atoi(argv[4]), failed = 0;
    if (!shorter.found || !longer.found) {
        printf("FAIL: documents not found in %s\n", argv[1]);
        return 1;
    }
    double total = 0;
    for (int i = 0; i < longer.nglobal; i++) total += longer.global[i];
    printf("window-layer caches: %.0f bytes (short), %.0f bytes (long)\n", shorter.window,
           longer.window);
    printf("global-layer caches of the long document: %.0f bytes over %d ranks:", total,
           longer.nglobal);
    for (int i = 0; i < longer.nglobal; i++) {
        double share = longer.global[i] / (total / G);
        printf(" %.0f (%.3f of total/G)", longer.global[i], share);
        if (fabs(share - 1.0) > 0.10) failed = 1;
    }
    printf("\n");
    if (longer.nglobal != G) failed = 1;
    if (shorter.cpu_missing || longer.cpu_missing) {
        printf("%d ranks report no CPU time (cpu_seconds)\n", shorter.cpu_missing + longer.cpu_missing);
        failed = 1;
    }
    if (shorter.window != longer.window || shorter.window <= 0) failed = 1;
    printf(failed ? "FAIL\n" : "ok\n");
    return failed;
}
