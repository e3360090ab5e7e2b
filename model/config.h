/* config.json of a MODEL_DIR (DESIGN.md section 2), parsed and validated. */
#ifndef SWAN_CONFIG_H
#define SWAN_CONFIG_H

#include "error.h"

typedef enum { LAYER_WINDOW = 0, LAYER_GLOBAL = 1 } LayerKind;

/* Which Hugging Face family config.json describes (its model_type). A config
 * with no model_type is swan's own dialect (DESIGN.md section 2). */
typedef enum {
    FAMILY_SWAN = 0,
    FAMILY_LLAMA,
    FAMILY_MISTRAL,
    FAMILY_SMOLLM3,
    FAMILY_COHERE2
} ModelFamily;

/* Cohere2's blocks differ from Llama's in these; the zero values are Llama's. */
typedef struct {
    int layer_norm;       /* 1: LayerNorm without bias (mean subtracted); 0: RMSNorm */
    int parallel;         /* 1: x + attn(N(x)) + mlp(N(x)), one norm per layer */
    int rope_interleaved; /* 1: RoPE rotates pairs (2i, 2i+1); 0: (i, i + hd/2) */
    double logit_scale;   /* output logits times this; 0: none */
} BlockStyle;

/* The factor s(p) on the logits of global NoPE layers (DESIGN.md section 2). */
typedef enum {
    ATTN_SCALING_OFF = 0,
    ATTN_SCALING_LOG,    /* max(1, 1 + alpha ln((p + 1) / L)) */
    ATTN_SCALING_LOG_A,  /* ln(p + a) / ln(a), the SWAN-GPT paper's */
    ATTN_SCALING_LLAMA4, /* 1 + attn_scale ln(1 + floor((p + 1) / floor_scale)) */
} AttnScalingKind;

/* rope_scaling of HF's modeling_rope_utils: how inv_freq is stretched. */
typedef enum { ROPE_SCALING_NONE = 0, ROPE_SCALING_LINEAR, ROPE_SCALING_LLAMA3 } RopeScalingKind;

typedef struct {
    RopeScalingKind kind;
    double factor;                /* linear, llama3 */
    double low_freq_factor;       /* llama3 */
    double high_freq_factor;      /* llama3, > low_freq_factor */
    double original_max_position; /* llama3: the pre-extension context */
} RopeScaling;

typedef struct {
    int vocab_size;
    int hidden_size; /* d */
    int intermediate_size;
    int num_layers;
    int num_heads;      /* H */
    int num_kv_heads;   /* KV, H % KV == 0 */
    int head_dim;       /* default d / H */
    float rms_norm_eps; /* the eps of every norm (layer_norm_eps for LayerNorm) */
    ModelFamily family;
    BlockStyle block;
    double rope_theta;
    RopeScaling rope_scaling;
    long sliding_window;       /* w >= 1; 0 when no layer is a window layer */
    LayerKind *layer_kind;     /* [num_layers], owned */
    unsigned char *layer_rope; /* [num_layers], owned: 1 = RoPE, 0 = NoPE */
    int tie_word_embeddings;
    int max_position_embeddings;  /* training length L */
    int bos_token_id;             /* -1 when absent */
    int eos_token_id;             /* -1 when absent */
    AttnScalingKind scaling_kind; /* dynamic NoPE scaling; OFF = s(p) = 1 */
    double scaling_alpha;         /* log: alpha (0 = off) */
    int scaling_train_len;        /* log: L */
    double scaling_a;             /* log_a: a > 1 */
    double scaling_floor;         /* llama4: floor_scale */
    double scaling_attn;          /* llama4: attn_scale */
} SwanConfig;

/* Reads and validates path (a config.json). On error cfg holds nothing. */
int swan_config_load(const char *path, SwanConfig *cfg, SwanError *err);
void swan_config_free(SwanConfig *cfg);

/* s(p) for a global layer without RoPE at 0-based position pos; 1 when
 * scaling is off. */
double swan_config_attn_scale(const SwanConfig *cfg, long pos);
/* 1 when some position may get s(p) != 1. */
int swan_config_scaling_on(const SwanConfig *cfg);
/* Puts the paper's form s(p) = ln(p + a) / ln(a) in force in place of
 * config.json's, or no scaling when a is 0 (swan fit-scaling). -1 when a is
 * neither 0 nor a finite number > 1. */
int swan_config_set_log_a(SwanConfig *cfg, double a);

#endif
