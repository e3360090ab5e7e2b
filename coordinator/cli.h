/* Helpers every subcommand shares: errors, numbers, model files and the
 * tokenizer choice, so each command parses and reports them the same way. */
#ifndef SWAN_CLI_H
#define SWAN_CLI_H

#include <stddef.h>

#include "config.h"
#include "matrix.h"
#include "tokenizer.h"

/* Prints "swan: error: ..." as one line on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parses a whole decimal integer in [lo, hi]; -1 with a message otherwise. */
int cli_parse_long(const char *opt, const char *text, long lo, long hi, long *out);
/* Parses a number in [lo, hi]; -1 with a message otherwise. */
int cli_parse_double(const char *opt, const char *text, double lo, double hi, double *out);

/* Parses a size in bytes with an optional K, M, G or T suffix (powers of
 * 1024, "KB"/"KiB" accepted too); -1 with a message otherwise. */
int cli_parse_size(const char *opt, const char *text, double *out);

/* A link rate as tc writes it ("10gbit", "100mbit", "64kbit", or plain
 * bits/s) into bits/s; -1 with a message otherwise. */
int cli_parse_rate(const char *opt, const char *text, double *bits);

/* --wire-dtype f32|bf16: *bf16 = 1 for bf16; -1 with a message otherwise. */
int cli_parse_wire_dtype(const char *opt, const char *text, int *bf16);

/* --compute exact|bf16; -1 with a message otherwise. */
int cli_parse_compute(const char *opt, const char *text, ComputeMode *mode);
/* Puts a compute mode in force in this process; -1 with a message where
 * the CPU cannot compute that way. */
int cli_set_compute(ComputeMode mode);

/* Seconds on a monotonic clock. */
double cli_now(void);

/* MODEL_DIR/config.json; -1 with a message. */
int cli_load_config(const char *model_dir, SwanConfig *cfg);

/* The tokenizer a command uses, by one rule everywhere: --tokenizer bytes
 * (every byte one token), --tokenizer PATH (another tokenizer.json), or by
 * default MODEL_DIR/tokenizer.json. choice may be NULL; model_dir may be
 * NULL only with a choice. -1 with a message. */
int cli_load_tokenizer(const char *choice, const char *model_dir, Tokenizer **t);
/* 1 when choice is the byte tokenizer. */
int cli_tokenizer_is_bytes(const char *choice);
/* -1 with a message when the byte tokenizer's 256 ids do not fit the model. */
int cli_check_bytes_fit(const char *choice, const char *model_dir, const SwanConfig *cfg);

#endif
