/* The tokenizer of a GGUF file, as llama.cpp's "gpt2" (byte-level BPE)
 * vocabulary: token texts in the byte-level alphabet, their kinds, merges in
 * rank order and the pre-tokenizer's split, so that llama.cpp tokenizes text
 * as swan does. */
#ifndef SWAN_GGUF_VOCAB_H
#define SWAN_GGUF_VOCAB_H

#include "config.h"
#include "gguf_writer.h"
#include "tokenizer.h"

/* Writes the tokenizer.* keys for vocab_size ids (ids past the tokenizer's
 * are unused placeholders). -1 with err set when llama.cpp could not
 * tokenize the way t does, or out of memory. */
int gguf_write_vocabulary(GgufWriter *g, const SwanConfig *c, const Tokenizer *t, SwanError *err);

#endif
