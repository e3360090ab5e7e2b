/* The weights of a contiguous range of layers, checked against the config
 * and used where they lie: matrices point into the mapped safetensors file
 * in their stored dtype (F32, F16 or BF16); only the norm vectors, a few
 * KB, are copied to f32. */
#ifndef SWAN_WEIGHTS_H
#define SWAN_WEIGHTS_H

#include <stddef.h>

#include "config.h"
#include "error.h"
#include "matrix.h"
#include "safetensors.h"

typedef struct {
    float *attn_norm; /* [d], owned */
    Matrix wq;        /* [H hd][d] */
    Matrix wk, wv;    /* [KV hd][d] */
    Matrix wo;        /* [d][H hd] */
    float *mlp_norm;  /* [d], owned; NULL in a parallel block (Cohere2) */
    Matrix w_gate;    /* [I][d] */
    Matrix w_up;      /* [I][d] */
    Matrix w_down;    /* [d][I] */
} LayerWeights;

typedef struct {
    int layer_begin, layer_end; /* [begin, end) */
    LayerWeights *layers;       /* [end - begin], owned */
    Matrix embed;               /* [V][d]; data NULL when not asked for */
    float *final_norm;          /* [d], owned, or NULL */
    Matrix lm_head;             /* [V][d]; data NULL when not asked for; may be the embedding */
    size_t bytes;               /* weight bytes as stored (each tensor counted once) */
    void **copies;              /* owned copies of f32 tensors the mapping holds unaligned */
    int ncopies;
} ModelWeights;

/* Loads layers [layer_begin, layer_end), plus the embedding table if
 * want_embed and the final norm and LM head if want_head. Every tensor's
 * dtype and shape is checked against cfg; errors name file and tensor. st
 * must stay open while the weights are used. */
int weights_load(const SwanConfig *cfg, SafeTensors *st, int layer_begin, int layer_end, int want_embed,
                 int want_head, ModelWeights *w, SwanError *err);
void weights_free(ModelWeights *w);

#endif
