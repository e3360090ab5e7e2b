/* The f32 weights of a contiguous range of layers, checked against the
 * config. q/k/v and gate/up are fused row-wise at load time so each
 * becomes one GEMM per chunk. */
#ifndef SWAN_WEIGHTS_H
#define SWAN_WEIGHTS_H

#include <stddef.h>

#include "config.h"
#include "error.h"
#include "safetensors.h"

typedef struct {
    float *attn_norm; /* [d] */
    float *wqkv;      /* [(H + 2 KV) hd][d]: q rows, then k rows, then v rows */
    float *wo;        /* [d][H hd] */
    float *mlp_norm;  /* [d] */
    float *w_gate_up; /* [2 I][d]: gate rows, then up rows */
    float *w_down;    /* [d][I] */
} LayerWeights;

typedef struct {
    int layer_begin, layer_end; /* [begin, end) */
    LayerWeights *layers;       /* [end - begin], owned */
    float *embed;               /* [V][d], or NULL when not asked for */
    float *final_norm;          /* [d], or NULL */
    float *lm_head;             /* [V][d], or NULL; may alias embed when tied */
    size_t bytes;               /* f32 bytes held */
} ModelWeights;

/* Loads layers [layer_begin, layer_end), plus the embedding table if
 * want_embed and the final norm and LM head if want_head. Every tensor's
 * dtype and shape is checked against cfg; errors name file and tensor. */
int weights_load(const SwanConfig *cfg, SafeTensors *st, int layer_begin, int layer_end, int want_embed,
                 int want_head, ModelWeights *w, SwanError *err);
void weights_free(ModelWeights *w);

#endif
