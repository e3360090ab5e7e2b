/* Private to the tokenizer_*.c files: the Tokenizer the
 * loader builds and the encoder only reads, and the few helpers both sides
 * need. The helpers are static inline here, not in either .c file, so that
 * loading and encoding never call into each other. */
#ifndef SWAN_TOKENIZER_IMPL_H
#define SWAN_TOKENIZER_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer.h"
#include "utf8.h"

#define MAX_STEPS 8

enum StepKind {
    STEP_SPLIT_GPT2,
    STEP_SPLIT_LLAMA3,
    STEP_PREFIX_SPACE,
    STEP_DIGITS_EACH, /* Digits, individual_digits: each numeric character a piece */
    STEP_DIGITS_RUNS  /* Digits: runs of numeric characters pieces */
};

typedef struct {
    uint64_t pair; /* left id << 32 | right id */
    int rank, id;  /* rank = index in model.merges; id = the merged token */
    int used;
} MergeSlot;

typedef struct {
    size_t off, len; /* the content's bytes in the arena */
    int id;
    int lstrip, rstrip;
    int special; /* HF's flag: a control token, not text */
} AddedToken;

struct Tokenizer {
    int bytes_only;    /* the plain byte tokenizer */
    int nids;          /* one past the largest id */
    size_t *tok_off;   /* per id: raw bytes in arena */
    uint32_t *tok_len; /* UINT32_MAX: unused id */
    unsigned char *arena;
    size_t arena_len, arena_cap;
    int byte_id[256]; /* the token of each single byte */
    int *vocab_slots; /* raw bytes -> id, open addressing, -1 empty */
    size_t vocab_cap; /* power of two (0 for the byte tokenizer) */
    MergeSlot *merges;
    size_t merge_cap; /* power of two (0: no merges) */
    int ignore_merges;
    int nfc; /* the normalizer is NFC */
    int steps[MAX_STEPS];
    int nsteps;
    /* The post-processor's template for one sequence: ids before and after
     * the text (add_special_tokens); malloc'ed, NULL when empty. */
    int *prefix, *suffix;
    size_t nprefix, nsuffix;
    AddedToken *added;            /* non-normalized first, then normalized */
    size_t nadded, nadded_raw;    /* nadded_raw: how many are non-normalized */
    unsigned char starts[2][256]; /* per pass: can an added token start with this byte */
};

struct cJSON;
/* tokenizer_post.c: reads root's post_processor into t->prefix/suffix (the
 * vocabulary must be loaded: the template's ids are checked against it). */
int tokenizer_load_post_processor(const char *path, Tokenizer *t, const struct cJSON *root,
                                  SwanError *err);

/* Both sides hash token bytes the same way: the loader fills vocab_slots,
 * the encoder probes it. */
static inline uint64_t fnv1a(const unsigned char *s, size_t n) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 0x100000001b3ULL;
    return h;
}

/* The merge table's hash of a pair key: the loader places pairs with it,
 * the encoder looks them up. */
static inline uint64_t mix64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

/* Grows *buf to hold need elements of size sz. */
static inline int grow(void **buf, size_t *cap, size_t need, size_t sz) {
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    void *p = realloc(*buf, c * sz);
    if (!p) return -1;
    *buf = p;
    *cap = c;
    return 0;
}

/* Raw bytes -> id among the byte-level tokens: the loader checks merges and
 * byte tokens with it, the encoder ignore_merges words. */
static inline int vocab_find(const Tokenizer *t, const unsigned char *s, size_t n) {
    if (!t->vocab_cap) return -1;
    size_t mask = t->vocab_cap - 1;
    for (size_t i = fnv1a(s, n) & mask;; i = (i + 1) & mask) {
        int id = t->vocab_slots[i];
        if (id < 0) return -1;
        if (t->tok_len[id] == n && !memcmp(t->arena + t->tok_off[id], s, n)) return id;
    }
}

#endif
