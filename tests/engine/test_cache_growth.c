/* Memory model of DESIGN.md section 4 on a real model: window-layer caches
 * stay the same size however long the document, global-layer caches grow
 * linearly with it. usage: test_cache_growth MODEL_DIR (a model with both
 * window and global layers and a window under 1024). */
#include <stdlib.h>

#include "check.h"
#include "chunks.h"
#include "model.h"

static int score_length(Stage *s, long n, size_t *window_bytes, size_t *global_bytes) {
    int *tokens = malloc(sizeof(int) * (size_t)n);
    double *nll = malloc(sizeof(double) * (size_t)n);
    SwanError err;
    DocCaches dc;
    for (long i = 0; i < n; i++) tokens[i] = (int)((i * 2654435761u) % 256);
    int rc = doc_caches_init(&dc, s->cfg, 0, s->cfg->num_layers, &err);
    if (rc == 0) rc = run_tokens(s, &dc, tokens, n, 512, nll, NULL, &err);
    if (rc == 0) {
        *window_bytes = doc_caches_bytes(&dc, s->cfg, LAYER_WINDOW);
        *global_bytes = doc_caches_bytes(&dc, s->cfg, LAYER_GLOBAL);
    }
    doc_caches_free(&dc);
    if (rc != 0) {
        fprintf(stderr, "%s\n", err.msg);
    }
    free(tokens);
    free(nll);
    return rc;
}

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    SwanModel m;
    SwanError err;
    if (swan_model_load(&m, argv[1], 0, -1, 1, 1, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    const SwanConfig *cfg = &m.cfg;
    int nglobal = 0;
    for (int l = 0; l < cfg->num_layers; l++) nglobal += cfg->layer_kind[l] == LAYER_GLOBAL;
    CHECK(nglobal > 0 && nglobal < cfg->num_layers && cfg->sliding_window < 1024,
          "model needs window and global layers and a window under 1024");
    Stage s;
    if (stage_open(&s, cfg, &m.w, 512, &err) != 0) return 1;

    size_t per_position = 2 * sizeof(float) * (size_t)cfg->num_kv_heads * cfg->head_dim * nglobal;
    size_t page_slack = per_position * KV_PAGE_ROWS;
    long lengths[] = {1024, 3000, 8192, 20000, 32768};
    size_t w1k = 0, g1k = 0;
    for (size_t i = 0; i < sizeof lengths / sizeof *lengths; i++) {
        size_t wb = 0, gb = 0;
        CHECK(score_length(&s, lengths[i], &wb, &gb) == 0, "scoring %ld tokens", lengths[i]);
        if (i == 0) w1k = wb, g1k = gb;
        printf("%6ld tokens: window-layer cache %zu bytes, global-layer cache %zu bytes\n", lengths[i],
               wb, gb);
        CHECK(wb == w1k, "window caches %zu bytes at %ld tokens, %zu at 1024", wb, lengths[i], w1k);
        size_t exact = per_position * (size_t)lengths[i];
        CHECK(gb >= exact && gb < exact + page_slack,
              "global caches %zu bytes at %ld tokens, expected %zu plus under one page per layer", gb,
              lengths[i], exact);
    }
    CHECK(g1k * 32 == per_position * 32768, "global bytes at 32K are 32x those at 1K");
    stage_close(&s);
    swan_model_free(&m);
    return check_summary();
}
