/* A tokenizer's vocabulary as another program needs it: token texts in the
 * byte-level alphabet tokenizer.json uses, added tokens and their kinds,
 * merges in rank order, and the name of the split (for GGUF export). */
#include <stdlib.h>
#include <string.h>

#include "tokenizer.h"
#include "tokenizer_impl.h"

int tokenizer_is_bytes(const Tokenizer *t) {
    return t->bytes_only;
}

const char *tokenizer_split_name(const Tokenizer *t) {
    if (t->nsteps == 2 && t->steps[0] == STEP_DIGITS_EACH && t->steps[1] == STEP_SPLIT_GPT2)
        return "command-r";          /* llama.cpp: each digit alone, then the GPT-2 regex */
    if (t->nsteps != 1) return NULL; /* no split, or a prefix space before it */
    return t->steps[0] == STEP_SPLIT_LLAMA3 ? "llama-bpe"
           : t->steps[0] == STEP_SPLIT_GPT2 ? "gpt-2"
                                            : NULL;
}

int tokenizer_normalizes(const Tokenizer *t) {
    return t->nfc;
}

void tokenizer_template(const Tokenizer *t, const int **prefix, size_t *nprefix, const int **suffix,
                        size_t *nsuffix) {
    *prefix = t->prefix;
    *nprefix = t->nprefix;
    *suffix = t->suffix;
    *nsuffix = t->nsuffix;
}

/* GPT-2's bytes_to_unicode: printable bytes stand for themselves, the
 * others for 256, 257, ... in byte order. */
static unsigned alphabet_code_point(unsigned char b) {
    int printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
    if (printable) return b;
    unsigned cp = 256;
    for (unsigned x = 0; x < b; x++)
        cp += !((x >= 33 && x <= 126) || (x >= 161 && x <= 172) || x >= 174);
    return cp;
}

/* raw bytes in the alphabet, as UTF-8 (each byte at most 2 bytes of it) */
static char *alphabet_text(const unsigned char *raw, size_t len) {
    char *s = malloc(2 * len + 1), *p = s;
    for (size_t i = 0; s && i < len; i++) {
        unsigned cp = alphabet_code_point(raw[i]);
        if (cp < 0x80) {
            *p++ = (char)cp;
        } else {
            *p++ = (char)(0xc0 | cp >> 6);
            *p++ = (char)(0x80 | (cp & 0x3f));
        }
    }
    if (s) *p = 0;
    return s;
}

static const AddedToken *added_token(const Tokenizer *t, int id) {
    for (size_t i = 0; i < t->nadded; i++)
        if (t->added[i].id == id) return &t->added[i];
    return NULL;
}

int tokenizer_token_text(const Tokenizer *t, int id, TokenKind *kind, char **text, SwanError *err) {
    *text = NULL;
    *kind = TOKEN_UNUSED;
    if (id < 0 || id >= t->nids || t->tok_len[id] == UINT32_MAX) return 0;
    const AddedToken *a = added_token(t, id);
    if (a) {
        *kind = a->special ? TOKEN_ADDED_SPECIAL : TOKEN_ADDED;
        *text = malloc(a->len + 1);
        if (*text) memcpy(*text, t->arena + a->off, a->len), (*text)[a->len] = 0;
    } else {
        *kind = TOKEN_MODEL;
        *text = alphabet_text(t->arena + t->tok_off[id], t->tok_len[id]);
    }
    return *text ? 0 : swan_error_set(err, "out of memory");
}

int tokenizer_token_strips(const Tokenizer *t, int id) {
    const AddedToken *a = added_token(t, id);
    return a && (a->lstrip || a->rstrip);
}

static int by_rank(const void *a, const void *b) {
    int x = ((const MergeSlot *)a)->rank, y = ((const MergeSlot *)b)->rank;
    return (x > y) - (x < y);
}

int tokenizer_merge_pairs(const Tokenizer *t, int **pairs, int *n, SwanError *err) {
    *pairs = NULL;
    *n = 0;
    size_t used = 0;
    for (size_t i = 0; i < t->merge_cap; i++) used += t->merges[i].used != 0;
    if (!used) return 0;
    MergeSlot *sorted = malloc(used * sizeof *sorted);
    *pairs = malloc(2 * used * sizeof **pairs);
    if (!sorted || !*pairs) {
        free(sorted), free(*pairs), *pairs = NULL;
        return swan_error_set(err, "out of memory");
    }
    used = 0;
    for (size_t i = 0; i < t->merge_cap; i++)
        if (t->merges[i].used) sorted[used++] = t->merges[i];
    qsort(sorted, used, sizeof *sorted, by_rank);
    for (size_t i = 0; i < used; i++) {
        (*pairs)[2 * i] = (int)(sorted[i].pair >> 32);
        (*pairs)[2 * i + 1] = (int)(sorted[i].pair & 0xffffffffu);
    }
    *n = (int)used;
    free(sorted);
    return 0;
}
