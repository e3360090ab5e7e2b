/* swan report RESULTS.jsonl...: mean NLL by token position over many
 * scored documents (their nll_by_pos bins, weighted by token count), as a
 * table a plot or a person can read. Position effects only show once
 * content is averaged out across documents. */
#include <cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

#define REPORT_MAX_BINS 64

typedef struct {
    double lo, hi, nll_sum, tokens;
    int docs;
} ReportBin;

static int add_line(ReportBin *bins, const char *text) {
    cJSON *o = cJSON_Parse(text);
    cJSON *list = o ? cJSON_GetObjectItem(o, "nll_by_pos") : NULL, *b;
    if (!cJSON_IsArray(list)) {
        cJSON_Delete(o);
        return -1;
    }
    int k = 0;
    cJSON_ArrayForEach(b, list) {
        if (k >= REPORT_MAX_BINS) break;
        double n = cJSON_GetNumberValue(cJSON_GetObjectItem(b, "n"));
        double mean = cJSON_GetNumberValue(cJSON_GetObjectItem(b, "mean_nll"));
        bins[k].lo = cJSON_GetNumberValue(cJSON_GetObjectItem(b, "lo"));
        bins[k].hi = cJSON_GetNumberValue(cJSON_GetObjectItem(b, "hi"));
        if (n > 0 && mean == mean) {
            bins[k].nll_sum += n * mean;
            bins[k].tokens += n;
            bins[k].docs++;
        }
        k++;
    }
    cJSON_Delete(o);
    return 0;
}

static int read_results(const char *path, ReportBin *bins, int *docs) {
    FILE *f = fopen(path, "r");
    if (!f) {
        cli_error("%s: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    long lineno = 0;
    while (getline(&line, &cap, f) > 0) {
        lineno++;
        if (add_line(bins, line) == 0)
            (*docs)++;
        else
            cli_error("%s:%ld: not a swan result line (skipped)", path, lineno);
    }
    free(line);
    fclose(f);
    return 0;
}

int cmd_report(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs("usage: swan report RESULTS.jsonl...   (mean NLL by position over all documents)\n",
              argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    ReportBin bins[REPORT_MAX_BINS];
    memset(bins, 0, sizeof bins);
    int docs = 0, status = 0;
    for (int i = 1; i < argc; i++)
        if (read_results(argv[i], bins, &docs) != 0) status = 1;
    printf("# %d documents\n# pos_lo\tpos_hi\tdocs\ttokens\tmean_nll\n", docs);
    for (int k = 0; k < REPORT_MAX_BINS && bins[k].hi > 0; k++)
        if (bins[k].tokens > 0)
            printf("%.0f\t%.0f\t%d\t%.0f\t%.6f\n", bins[k].lo, bins[k].hi, bins[k].docs, bins[k].tokens,
                   bins[k].nll_sum / bins[k].tokens);
    return docs > 0 ? status : 1;
}
