/* config.json of a MODEL_DIR (DESIGN.md section 2), parsed and validated. */
#ifndef SWAN_CONFIG_H
#define SWAN_CONFIG_H

#include "error.h"

typedef enum { LAYER_WINDOW = 0, LAYER_GLOBAL = 1 } LayerKind;

typedef struct {
    int vocab_size;
    int hidden_size; /* d */
    int intermediate_size;
    int num_layers;
    int num_heads;    /* H */
    int num_kv_heads; /* KV, H % KV == 0 */
    int head_dim;     /* default d / H */
    float rms_norm_eps;
    double rope_theta;
    long sliding_window;       /* w >= 1; 0 when no layer is a window layer */
    LayerKind *layer_kind;     /* [num_layers], owned */
    unsigned char *layer_rope; /* [num_layers], owned: 1 = RoPE, 0 = NoPE */
    int tie_word_embeddings;
    int max_position_embeddings; /* training length L */
    int bos_token_id;            /* -1 when absent */
    int eos_token_id;            /* -1 when absent */
    double scaling_alpha;        /* dynamic NoPE scaling; 0 = off */
    int scaling_train_len;       /* L of s(p) = max(1, 1 + a ln((p+1)/L)) */
} SwanConfig;

/* Reads and validates path (a config.json). On error cfg holds nothing. */
int swan_config_load(const char *path, SwanConfig *cfg, SwanError *err);
void swan_config_free(SwanConfig *cfg);

/* s(p) for a global layer without RoPE; 1 when scaling is off. */
double swan_config_attn_scale(const SwanConfig *cfg, long pos);

#endif
