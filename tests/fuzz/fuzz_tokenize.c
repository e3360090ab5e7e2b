/* Any bytes as text, through the default model's tokenizer (GPT-2 style
 * pre-tokenizer) and a Llama-3 style one, chosen by the first byte: every
 * id is inside the vocabulary and decoding gives back exactly the input,
 * invalid UTF-8 included. (The Llama-3 style one has an added token that
 * strips the whitespace after it, as Hugging Face's does, so text holding
 * "<|" may legitimately not come back whole there.) A third choice is the
 * Command R style one (NFC, Digits, a BOS template), whose decoding is the
 * text's NFC: there the ids with the template must be its BOS and the ids
 * without, and encoding the decoded text again must give the same ids,
 * unless it holds a '<': NFC may spell out an added token there (U+212A
 * KELVIN SIGN is K), which the second encoding then finds, as HF's would. */
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

static void same_ids(const int *a, size_t na, const int *b, size_t nb) {
    if (na != nb || (na && memcmp(a, b, na * sizeof *a) != 0)) abort();
}

static int normalizing(const Tokenizer *t, const uint8_t *text, size_t len) {
    int *ids = NULL, *plain = NULL, *again = NULL;
    size_t n = 0, np = 0, na = 0, back_len = 0;
    unsigned char *back = NULL;
    SwanError err;
    if (tokenizer_encode(t, text, len, &ids, &n, &err) != 0 ||
        tokenizer_encode_ex(t, text, len, 0, &plain, &np, &err) != 0 || n != np + 1)
        abort();
    same_ids(ids + 1, n - 1, plain, np);
    if (tokenizer_decode(t, plain, np, &back, &back_len, &err) != 0 ||
        tokenizer_encode_ex(t, back, back_len, 0, &again, &na, &err) != 0)
        abort();
    if (!memchr(back, '<', back_len)) same_ids(again, na, plain, np);
    free(ids), free(plain), free(again), free(back);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static Tokenizer *toks[3];
    if (!toks[0]) {
        toks[0] = load(SWAN_FUZZ_GPT2_TOKENIZER);
        toks[1] = load(SWAN_FUZZ_LLAMA3_TOKENIZER);
        toks[2] = load(SWAN_FUZZ_COMMANDR_TOKENIZER);
    }
    if (size == 0) return 0;
    if (data[0] % 3 == 2) return normalizing(toks[2], data + 1, size - 1);
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
