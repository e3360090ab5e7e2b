/* rope_theta and rope_scaling (Hugging Face modeling_rope_utils types
 * "default", "linear" and "llama3"); every other type is an error. */
#ifndef SWAN_CONFIG_ROPE_H
#define SWAN_CONFIG_ROPE_H

#include "config.h"
#include "config_parse.h"

int config_read_rope(const ConfigParse *p, SwanConfig *cfg);

#endif
