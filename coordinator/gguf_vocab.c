#include "gguf_vocab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* llama.cpp's token types */
enum { TYPE_NORMAL = 1, TYPE_UNUSED = 5, TYPE_CONTROL = 3, TYPE_USER_DEFINED = 4 };

typedef struct {
    char **text;    /* [n] */
    int32_t *types; /* [n] */
    int n;
} Vocab;

static void vocab_free(Vocab *v) {
    for (int i = 0; v->text && i < v->n; i++) free(v->text[i]);
    free(v->text);
    free(v->types);
}

/* Added tokens that strip the whitespace beside them tokenize differently in
 * llama.cpp, which keeps that rule only for models it knows by name. */
static void warn_strips(const Vocab *v, const Tokenizer *t) {
    for (int i = 0; i < v->n; i++)
        if (tokenizer_token_strips(t, i))
            fprintf(stderr,
                    "swan: warning: added token %d (%s) strips the whitespace beside it, which GGUF "
                    "cannot say: llama.cpp may tokenize text around it differently\n",
                    i, v->text[i]);
}

/* llama.cpp does not normalize a BPE vocabulary's text: text that is not
 * NFC already tokenizes differently there. */
static void warn_normalizer(const Tokenizer *t) {
    if (tokenizer_normalizes(t))
        fprintf(stderr, "swan: warning: the tokenizer normalizes text to NFC, which GGUF cannot say: "
                        "llama.cpp tokenizes text that is not NFC differently\n");
}

/* The post-processor's BOS and EOS as GGUF's add_bos_token/add_eos_token:
 * one token before the text at most, one after it at most. */
static int special_ends(const Tokenizer *t, int *bos, int *eos, SwanError *err) {
    const int *prefix, *suffix;
    size_t np, ns;
    tokenizer_template(t, &prefix, &np, &suffix, &ns);
    if (np > 1 || ns > 1)
        return swan_error_set(err,
                              "the tokenizer's post-processor puts %zu tokens before the text and "
                              "%zu after it; GGUF can say one BOS and one EOS",
                              np, ns);
    *bos = np ? prefix[0] : -1;
    *eos = ns ? suffix[0] : -1;
    return 0;
}

static int vocab_collect(Vocab *v, const Tokenizer *t, int n, SwanError *err) {
    v->n = n;
    v->text = calloc((size_t)n, sizeof *v->text);
    v->types = calloc((size_t)n, sizeof *v->types);
    if (!v->text || !v->types) return swan_error_set(err, "out of memory");
    for (int i = 0; i < n; i++) {
        TokenKind kind;
        if (tokenizer_token_text(t, i, &kind, &v->text[i], err) != 0) return -1;
        v->types[i] = kind == TOKEN_MODEL           ? TYPE_NORMAL
                      : kind == TOKEN_ADDED         ? TYPE_USER_DEFINED
                      : kind == TOKEN_ADDED_SPECIAL ? TYPE_CONTROL
                                                    : TYPE_UNUSED;
        if (kind == TOKEN_UNUSED) {
            if (!(v->text[i] = malloc(32))) return swan_error_set(err, "out of memory");
            snprintf(v->text[i], 32, "<|swan_%d|>", i);
        }
    }
    return 0;
}

/* "left right" per merge, each side in the alphabet as its token is. */
static int merge_texts(const Tokenizer *t, char ***out, int *n, SwanError *err) {
    int *pairs;
    *out = NULL;
    if (tokenizer_merge_pairs(t, &pairs, n, err) != 0) return -1;
    int rc = *n && !(*out = calloc((size_t)*n, sizeof **out)) ? swan_error_set(err, "out of memory")
                                                              : 0;
    for (int i = 0; rc == 0 && i < *n; i++) {
        char *a, *b;
        TokenKind ka, kb;
        if (tokenizer_token_text(t, pairs[2 * i], &ka, &a, err) != 0) {
            rc = -1;
            break;
        }
        if (tokenizer_token_text(t, pairs[2 * i + 1], &kb, &b, err) != 0) {
            free(a);
            rc = -1;
            break;
        }
        size_t len = strlen(a) + strlen(b) + 2;
        if (((*out)[i] = malloc(len))) snprintf((*out)[i], len, "%s %s", a, b);
        free(a), free(b);
        if (!(*out)[i]) rc = swan_error_set(err, "out of memory");
    }
    free(pairs);
    return rc;
}

static void free_texts(char **s, int n) {
    for (int i = 0; s && i < n; i++) free(s[i]);
    free(s);
}

int gguf_write_vocabulary(GgufWriter *g, const SwanConfig *c, const Tokenizer *t, SwanError *err) {
    int bytes = tokenizer_is_bytes(t);
    const char *split = bytes ? "default" : tokenizer_split_name(t);
    if (!split)
        return swan_error_set(
            err, "the tokenizer's pre-tokenizer (a prefix space, digit runs, or no split) has no "
                 "llama.cpp counterpart");
    if (tokenizer_vocab_size(t) > c->vocab_size)
        return swan_error_set(err, "the tokenizer has ids up to %d, past the model's vocab_size %d",
                              tokenizer_vocab_size(t) - 1, c->vocab_size);
    Vocab v = {0};
    char **merges = NULL;
    int nmerges = 0, add_bos = -1, add_eos = -1;
    if (special_ends(t, &add_bos, &add_eos, err) != 0) return -1;
    int rc = vocab_collect(&v, t, c->vocab_size, err);
    if (rc == 0) rc = merge_texts(t, &merges, &nmerges, err);
    if (rc == 0) warn_strips(&v, t), warn_normalizer(t);
    if (rc == 0) {
        gguf_str(g, "tokenizer.ggml.model", "gpt2");
        gguf_str(g, "tokenizer.ggml.pre", split);
        gguf_str_array(g, "tokenizer.ggml.tokens", (const char *const *)v.text, v.n);
        /* the byte vocabulary's files predate token types: kept as they were */
        if (!bytes) gguf_i32_array(g, "tokenizer.ggml.token_type", v.types, v.n);
        gguf_str_array(g, "tokenizer.ggml.merges", (const char *const *)merges, nmerges);
        /* llama.cpp adds a BOS or EOS exactly when swan does: when the
         * post-processor does, and then that token, whatever config.json says */
        gguf_bool(g, "tokenizer.ggml.add_bos_token", add_bos >= 0);
        gguf_bool(g, "tokenizer.ggml.add_eos_token", add_eos >= 0);
        int bos = add_bos >= 0 ? add_bos : c->bos_token_id,
            eos = add_eos >= 0 ? add_eos : c->eos_token_id;
        if (bos >= 0) gguf_u32(g, "tokenizer.ggml.bos_token_id", (uint32_t)bos);
        if (eos >= 0) gguf_u32(g, "tokenizer.ggml.eos_token_id", (uint32_t)eos);
    }
    free_texts(merges, nmerges);
    vocab_free(&v);
    return rc;
}
