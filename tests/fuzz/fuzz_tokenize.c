/* Any bytes as text, through the default model's tokenizer (GPT-2 style
 * pre-tokenizer) and a Llama-3 style one, chosen by the first byte: every
 * id is inside the vocabulary and decoding gives back exactly the input,
 * invalid UTF-8 included. (The Llama-3 style one has an added token that
 * strips the whitespace after it, as Hugging Face's does, so text holding
 * "<|" may legitimately not come back whole there.) */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer.h"

static Tokenizer *load(const char *path) {
    Tokenizer *t = NULL;
    SwanError err;
    if (tokenizer_load(path, &t, &err) != 0) abort();
    return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static Tokenizer *toks[2];
    if (!toks[0]) {
        toks[0] = load(SWAN_FUZZ_GPT2_TOKENIZER);
        toks[1] = load(SWAN_FUZZ_LLAMA3_TOKENIZER);
    }
    if (size == 0) return 0;
    const Tokenizer *t = toks[data[0] & 1];
    int *ids = NULL;
    size_t n = 0, back_len = 0;
    unsigned char *back = NULL;
    SwanError err;
    if (tokenizer_encode(t, data + 1, size - 1, &ids, &n, &err) != 0) abort();
    for (size_t i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= tokenizer_vocab_size(t)) abort();
    if (tokenizer_decode(t, ids, n, &back, &back_len, &err) != 0) abort();
    int may_strip = (data[0] & 1) && memmem(data + 1, size - 1, "<|", 2);
    if (!may_strip && (back_len != size - 1 || memcmp(back, data + 1, back_len) != 0)) abort();
    free(ids);
    free(back);
    return 0;
}
