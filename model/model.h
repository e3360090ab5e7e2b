/* A MODEL_DIR opened for a range of layers: config, mapped safetensors and
 * the f32 weights of that range. */
#ifndef SWAN_MODEL_H
#define SWAN_MODEL_H

#include "config.h"
#include "error.h"
#include "safetensors.h"
#include "weights.h"

typedef struct {
    SwanConfig cfg;
    SafeTensors *st;
    ModelWeights w;
} SwanModel;

/* layer_end < 0 means all layers. */
int swan_model_load(SwanModel *m, const char *dir, int layer_begin, int layer_end, int want_embed,
                    int want_head, SwanError *err);
void swan_model_free(SwanModel *m);

#endif
