/* Dynamic attention scaling of global NoPE layers: swan_attn_scaling
 * ("log", "log_a") or Llama 4's attn_temperature_tuning keys. */
#ifndef SWAN_CONFIG_SCALING_H
#define SWAN_CONFIG_SCALING_H

#include "config.h"
#include "config_parse.h"

/* Reads the scaling keys into cfg (needs max_position_embeddings). */
int config_read_attn_scaling(const ConfigParse *p, SwanConfig *cfg);

#endif
