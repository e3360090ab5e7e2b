/* model_type: which Hugging Face family a config.json describes, the layer
 * layout that family implies when layer_types or no_rope_layers are absent,
 * and the keys of features swan does not implement (each one an error). */
#ifndef SWAN_CONFIG_FAMILY_H
#define SWAN_CONFIG_FAMILY_H

#include "config.h"
#include "config_parse.h"

/* Which layers use RoPE when no_rope_layers is absent. */
typedef enum {
    ROPE_ON_WINDOW_LAYERS, /* swan's layout: sliding = RoPE, full = NoPE */
    ROPE_ON_ALL_LAYERS,    /* llama, mistral */
    ROPE_BY_INTERVAL,      /* smollm3: every interval-th layer is NoPE */
} RopeDefault;

typedef struct {
    ModelFamily family;
    LayerKind kind_default; /* when layer_types is absent ... */
    int window_pattern;     /* ... unless > 0: layer i is a window layer iff (i + 1) % it != 0 */
    RopeDefault rope_default;
    int rope_interval; /* ROPE_BY_INTERVAL */
    int tie_default;   /* tie_word_embeddings when absent */
} FamilyLayout;

/* Reads model_type and refuses unsupported features; fills out, and the
 * family and block style of cfg. */
int config_read_family(const ConfigParse *p, FamilyLayout *out, SwanConfig *cfg);

/* The default kind of layer i (layer_types absent). */
LayerKind family_layer_kind(const FamilyLayout *f, int layer);

/* The default RoPE flag of layer i. */
int family_layer_rope(const FamilyLayout *f, const SwanConfig *cfg, int layer);

#endif
