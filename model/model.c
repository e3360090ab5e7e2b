#include "model.h"

#include "model_paths.h"

#include <string.h>

int swan_model_load(SwanModel *m, const char *dir, int layer_begin, int layer_end, int want_embed,
                    int want_head, SwanError *err) {
    memset(m, 0, sizeof *m);
    if (swan_config_load_dir(dir, &m->cfg, err) != 0) return -1;
    if (layer_end < 0) layer_end = m->cfg.num_layers;
    if (layer_begin < 0 || layer_begin > layer_end || layer_end > m->cfg.num_layers) {
        swan_error_set(err, "%s: layer range %d-%d outside the model's %d layers", dir, layer_begin,
                       layer_end - 1, m->cfg.num_layers);
        goto fail;
    }
    if (st_open_dir(dir, &m->st, err) != 0) goto fail;
    if (weights_load(&m->cfg, m->st, layer_begin, layer_end, want_embed, want_head, &m->w, err) != 0)
        goto fail;
    return 0;
fail:
    swan_model_free(m);
    return -1;
}

void swan_model_free(SwanModel *m) {
    weights_free(&m->w);
    if (m->st) st_close(m->st);
    swan_config_free(&m->cfg);
    memset(m, 0, sizeof *m);
}
