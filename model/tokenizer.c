/* Byte-level BPE from tokenizer.json, and the plain byte tokenizer.
 *
 * Encoding follows Hugging Face tokenizers step by step, because "the same
 * ids" is the contract:
 *   1. added tokens are cut out of the text first (leftmost-longest match;
 *      the non-normalized ones over the whole text, then the normalized ones
 *      in what is left), honouring lstrip/rstrip;
 *   2. every other piece goes through the pre-tokenizer steps: the split
 *      regexes (matched by hand-written code below, equivalent to Oniguruma
 *      on these exact patterns) and ByteLevel's prefix space;
 *   3. each resulting word is BPE-merged on byte tokens, lowest merge rank
 *      first and leftmost among equal ranks, with a binary heap, exactly the
 *      order of HF's Word::merge_all.
 * Tokens are kept as their raw bytes (the byte-level alphabet undone), so the
 * text never has to be mapped to the alphabet and back. */
#include "tokenizer.h"

#include <cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* model/unicode_tables.c (generated) */
int swan_unicode_class(uint32_t cp);
int swan_unicode_fold_ascii(uint32_t cp);

enum { CL_OTHER = 0, CL_L = 1, CL_N = 2, CL_S = 4 };

#define TOKENIZER_MAX_BYTES (1L << 30)
#define MAX_STEPS 8
#define CACHE_MAX_WORD 64 /* longer words are rare; not worth caching */

enum StepKind { STEP_SPLIT_GPT2, STEP_SPLIT_LLAMA3, STEP_PREFIX_SPACE };

static const char GPT2_PATTERN[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
static const char LLAMA3_PATTERN[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}|"
    " ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

typedef struct {
    uint64_t pair; /* left id << 32 | right id */
    int rank, id;  /* rank = index in model.merges; id = the merged token */
    int used;
} MergeSlot;

typedef struct {
    size_t off, len; /* the content's bytes in the arena */
    int id;
    int lstrip, rstrip;
} AddedToken;

struct Tokenizer {
    int bytes_only;        /* the plain byte tokenizer */
    int nids;              /* one past the largest id */
    size_t *tok_off;       /* per id: raw bytes in arena */
    uint32_t *tok_len;     /* UINT32_MAX: unused id */
    unsigned char *arena;
    size_t arena_len, arena_cap;
    int byte_id[256];      /* the token of each single byte */
    int *vocab_slots;      /* raw bytes -> id, open addressing, -1 empty */
    size_t vocab_cap;      /* power of two (0 for the byte tokenizer) */
    MergeSlot *merges;
    size_t merge_cap;      /* power of two (0: no merges) */
    int ignore_merges;
    int steps[MAX_STEPS];
    int nsteps;
    AddedToken *added;     /* non-normalized first, then normalized */
    size_t nadded, nadded_raw; /* nadded_raw: how many are non-normalized */
    unsigned char starts[2][256]; /* per pass: can an added token start with this byte */
};

/* ---------- small helpers ---------- */

static uint64_t fnv1a(const unsigned char *s, size_t n) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 0x100000001b3ULL;
    return h;
}

static uint64_t mix64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

static size_t pow2_at_least(size_t n) {
    size_t c = 16;
    while (c < n) c <<= 1;
    return c;
}

/* GPT-2's bytes_to_unicode inverted: code point of the byte-level alphabet ->
 * byte, -1 if cp is not in the alphabet. Printable bytes stand for
 * themselves; the other 68 are U+0100.. in byte order. */
static int alphabet_byte(uint32_t cp) {
    if ((cp >= 0x21 && cp <= 0x7e) || (cp >= 0xa1 && cp <= 0xac) || (cp >= 0xae && cp <= 0xff))
        return (int)cp;
    if (cp < 0x100 || cp >= 0x100 + 68) return -1;
    int n = (int)(cp - 0x100);
    for (int b = 0; b < 256; b++) {
        int printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || b >= 0xae;
        if (!printable && n-- == 0) return b;
    }
    return -1;
}

/* Length of the valid UTF-8 sequence at s[i] (1-4), or 0 if s[i] does not
 * start one: overlong forms, surrogates and > U+10FFFF are invalid. */
static size_t utf8_valid_len(const unsigned char *s, size_t n, size_t i) {
    unsigned c = s[i];
    if (c < 0x80) return 1;
    size_t len;
    unsigned lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
    if (c >= 0xc2 && c <= 0xdf) len = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0) lo = 0xa0;
        if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0) lo = 0x90;
        if (c == 0xf4) hi = 0x8f;
    } else return 0;
    if (i + len > n || s[i + 1] < lo || s[i + 1] > hi) return 0;
    for (size_t k = 2; k < len; k++)
        if ((s[i + k] & 0xc0) != 0x80) return 0;
    return len;
}

/* Decodes the (known valid) UTF-8 character at s[i]. */
static uint32_t utf8_decode(const unsigned char *s, size_t i, size_t *len) {
    unsigned c = s[i];
    if (c < 0x80) { *len = 1; return c; }
    if (c < 0xe0) { *len = 2; return ((c & 0x1fu) << 6) | (s[i + 1] & 0x3fu); }
    if (c < 0xf0) {
        *len = 3;
        return ((c & 0x0fu) << 12) | ((s[i + 1] & 0x3fu) << 6) | (s[i + 2] & 0x3fu);
    }
    *len = 4;
    return ((c & 0x07u) << 18) | ((s[i + 1] & 0x3fu) << 12) | ((s[i + 2] & 0x3fu) << 6) |
           (s[i + 3] & 0x3fu);
}

static int class_at(const unsigned char *s, size_t i, size_t *len, uint32_t *cp) {
    *cp = utf8_decode(s, i, len);
    return swan_unicode_class(*cp);
}

/* ---------- the split regexes, on one valid UTF-8 run s[0..n) ----------
 * Oniguruma tries the alternatives in order at the current position, and on
 * these patterns every character starts some match, so a split is: at i, the
 * end of the first alternative that matches. The greedy runs need
 * backtracking in two places only: \s+(?!\S) gives back the run's last
 * character, \s*[\r\n]+ backs up to the run's last CR or LF. */

/* End of the run of characters of class cls starting at i. */
static size_t run_of(const unsigned char *s, size_t n, size_t i, int cls) {
    while (i < n) {
        size_t len;
        uint32_t cp;
        if (class_at(s, i, &len, &cp) != cls) break;
        i += len;
    }
    return i;
}

/* \s+(?!\S)|\s+ at whitespace i: the whole run if it ends the text, else the
 * run minus its last character (so that character can lead the next word),
 * unless that would leave nothing. */
static size_t whitespace_end(const unsigned char *s, size_t n, size_t i) {
    size_t last = i, count = 0;
    while (i < n) {
        size_t len;
        uint32_t cp;
        if (class_at(s, i, &len, &cp) != CL_S) break;
        last = i, count++;
        i += len;
    }
    return (i == n || count < 2) ? i : last;
}

/* Length after the apostrophe of 's|'t|'re|'ve|'m|'ll|'d at s[i], 0 if none.
 * fold: (?i:...), with Unicode simple case folding (so U+017F matches s). */
static size_t contraction(const unsigned char *s, size_t n, size_t i, int fold) {
    int c[2] = {0, 0};
    size_t end[2] = {i, i}, at = i;
    for (int k = 0; k < 2 && at < n; k++) {
        size_t len;
        uint32_t cp = utf8_decode(s, at, &len);
        c[k] = fold ? swan_unicode_fold_ascii(cp) : (cp < 0x80 ? (int)cp : 0);
        end[k] = at += len;
    }
    switch (c[0]) {
    case 's': case 't': case 'm': case 'd': return end[0] - i;
    case 'r': case 'v': return c[1] == 'e' ? end[1] - i : 0;
    case 'l': return c[1] == 'l' ? end[1] - i : 0;
    default: return 0;
    }
}

/* GPT-2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
static size_t match_gpt2(const unsigned char *s, size_t n, size_t i) {
    size_t len, len2;
    uint32_t c, c2;
    int k = class_at(s, i, &len, &c);
    if (c == '\'' && i + 1 < n) {
        size_t m = contraction(s, n, i + 1, 0);
        if (m) return i + 1 + m;
    }
    if (c == ' ' && i + 1 < n) {
        int k2 = class_at(s, i + 1, &len2, &c2);
        if (k2 != CL_S) return run_of(s, n, i + 1, k2);
    }
    if (k != CL_S) return run_of(s, n, i, k);
    return whitespace_end(s, n, i);
}

static size_t crlf_run(const unsigned char *s, size_t n, size_t i) {
    while (i < n && (s[i] == '\r' || s[i] == '\n')) i++;
    return i;
}

/* Llama-3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
 *          ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+ */
static size_t match_llama3(const unsigned char *s, size_t n, size_t i) {
    size_t len, len2;
    uint32_t c, c2;
    int k = class_at(s, i, &len, &c);
    if (c == '\'' && i + 1 < n) {
        size_t m = contraction(s, n, i + 1, 1);
        if (m) return i + 1 + m;
    }
    if (k == CL_L) return run_of(s, n, i, CL_L);
    if (k != CL_N && c != '\r' && c != '\n' && i + len < n &&
        class_at(s, i + len, &len2, &c2) == CL_L)
        return run_of(s, n, i + len, CL_L);
    if (k == CL_N) {
        size_t j = i;
        for (int d = 0; d < 3 && j < n && class_at(s, j, &len2, &c2) == CL_N; d++) j += len2;
        return j;
    }
    if (c == ' ' && i + 1 < n && class_at(s, i + 1, &len2, &c2) == CL_OTHER)
        return crlf_run(s, n, run_of(s, n, i + 1, CL_OTHER));
    if (k == CL_OTHER) return crlf_run(s, n, run_of(s, n, i, CL_OTHER));
    /* whitespace: \s*[\r\n]+ ends after the run's last CR or LF, if any */
    size_t j = i, after_crlf = 0;
    while (j < n && class_at(s, j, &len2, &c2) == CL_S) {
        j += len2;
        if (c2 == '\r' || c2 == '\n') after_crlf = j;
    }
    return after_crlf ? after_crlf : whitespace_end(s, n, i);
}

/* ---------- encoding ---------- */

typedef struct {
    int id, prev, next;
    int live;
} Sym;

typedef struct {
    int rank, pos, id;
} HeapItem;

typedef struct {
    uint64_t hash;
    size_t word_off, ids_off;
    uint32_t word_len, ids_len; /* word_len 0: empty slot */
} CacheSlot;

/* Everything one encode call needs; nothing of it outlives the call. */
typedef struct {
    const Tokenizer *t;
    int *ids;
    size_t n, cap;
    Sym *syms;
    size_t syms_cap;
    HeapItem *heap;
    size_t heap_len, heap_cap;
    CacheSlot *cache;
    size_t cache_cap, cache_used;
    unsigned char *cache_words;
    size_t cw_len, cw_cap;
    int *cache_ids;
    size_t ci_len, ci_cap;
    size_t *pieces; /* tokenizer_pretokenize: pre-token lengths instead of ids */
    size_t npieces, pieces_cap;
    int record;
} Encoder;

/* Grows *buf to hold need elements of size sz. */
static int grow(void **buf, size_t *cap, size_t need, size_t sz) {
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    void *p = realloc(*buf, c * sz);
    if (!p) return -1;
    *buf = p;
    *cap = c;
    return 0;
}

static int emit(Encoder *e, int id) {
    if (grow((void **)&e->ids, &e->cap, e->n + 1, sizeof *e->ids) != 0) return -1;
    e->ids[e->n++] = id;
    return 0;
}

static const MergeSlot *merge_find(const Tokenizer *t, int a, int b) {
    if (!t->merge_cap) return NULL;
    uint64_t key = (uint64_t)(uint32_t)a << 32 | (uint32_t)b;
    size_t mask = t->merge_cap - 1;
    for (size_t i = mix64(key) & mask;; i = (i + 1) & mask) {
        const MergeSlot *m = &t->merges[i];
        if (!m->used) return NULL;
        if (m->pair == key) return m;
    }
}

static int vocab_find(const Tokenizer *t, const unsigned char *s, size_t n) {
    if (!t->vocab_cap) return -1;
    size_t mask = t->vocab_cap - 1;
    for (size_t i = fnv1a(s, n) & mask;; i = (i + 1) & mask) {
        int id = t->vocab_slots[i];
        if (id < 0) return -1;
        if (t->tok_len[id] == n && !memcmp(t->arena + t->tok_off[id], s, n)) return id;
    }
}

/* Min-heap on (rank, pos): HF's merge order. */
static int heap_less(const HeapItem *a, const HeapItem *b) {
    return a->rank != b->rank ? a->rank < b->rank : a->pos < b->pos;
}

static int heap_push(Encoder *e, int rank, int pos, int id) {
    if (grow((void **)&e->heap, &e->heap_cap, e->heap_len + 1, sizeof *e->heap) != 0) return -1;
    size_t i = e->heap_len++;
    HeapItem item = {rank, pos, id};
    while (i > 0 && heap_less(&item, &e->heap[(i - 1) / 2])) {
        e->heap[i] = e->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    e->heap[i] = item;
    return 0;
}

static HeapItem heap_pop(Encoder *e) {
    HeapItem top = e->heap[0], last = e->heap[--e->heap_len];
    size_t i = 0, n = e->heap_len;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && heap_less(&e->heap[c + 1], &e->heap[c])) c++;
        if (!heap_less(&e->heap[c], &last)) break;
        e->heap[i] = e->heap[c];
        i = c;
    }
    if (n) e->heap[i] = last;
    return top;
}

static int push_pair(Encoder *e, int left, int right) {
    const MergeSlot *m = merge_find(e->t, e->syms[left].id, e->syms[right].id);
    return m ? heap_push(e, m->rank, left, m->id) : 0;
}

/* Merges the word's byte symbols as HF's Word::merge_all does. */
static int bpe_merge(Encoder *e, const unsigned char *w, size_t n) {
    if (grow((void **)&e->syms, &e->syms_cap, n, sizeof *e->syms) != 0) return -1;
    for (size_t i = 0; i < n; i++)
        e->syms[i] = (Sym){e->t->byte_id[w[i]], (int)i - 1, i + 1 < n ? (int)i + 1 : -1, 1};
    e->heap_len = 0;
    for (size_t i = 0; i + 1 < n; i++)
        if (push_pair(e, (int)i, (int)i + 1) != 0) return -1;
    while (e->heap_len) {
        HeapItem top = heap_pop(e);
        Sym *s = &e->syms[top.pos];
        if (!s->live || s->next < 0) continue;
        const MergeSlot *m = merge_find(e->t, s->id, e->syms[s->next].id);
        if (!m || m->id != top.id) continue; /* stale entry */
        Sym *right = &e->syms[s->next];
        s->id = top.id;
        right->live = 0;
        s->next = right->next;
        if (s->next >= 0) e->syms[s->next].prev = top.pos;
        if (s->prev >= 0 && push_pair(e, s->prev, top.pos) != 0) return -1;
        if (s->next >= 0 && push_pair(e, top.pos, s->next) != 0) return -1;
    }
    return 0;
}

static CacheSlot *cache_slot(Encoder *e, const unsigned char *w, size_t n, uint64_t h) {
    size_t mask = e->cache_cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        CacheSlot *c = &e->cache[i];
        if (!c->word_len) return c;
        if (c->hash == h && c->word_len == n && !memcmp(e->cache_words + c->word_off, w, n)) return c;
    }
}

static int cache_rehash(Encoder *e) {
    size_t old_cap = e->cache_cap;
    CacheSlot *old = e->cache;
    e->cache_cap = old_cap ? old_cap * 2 : 1024;
    e->cache = calloc(e->cache_cap, sizeof *e->cache);
    if (!e->cache) {
        e->cache = old;
        e->cache_cap = old_cap;
        return -1;
    }
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].word_len)
            *cache_slot(e, e->cache_words + old[i].word_off, old[i].word_len, old[i].hash) = old[i];
    free(old);
    return 0;
}

/* Remembers the ids the word just produced (e->ids[first..n)). */
static int cache_store(Encoder *e, CacheSlot *slot, const unsigned char *w, size_t n,
                       uint64_t h, size_t first) {
    size_t k = e->n - first;
    if (grow((void **)&e->cache_words, &e->cw_cap, e->cw_len + n, 1) != 0 ||
        grow((void **)&e->cache_ids, &e->ci_cap, e->ci_len + k, sizeof(int)) != 0)
        return -1;
    memcpy(e->cache_words + e->cw_len, w, n);
    memcpy(e->cache_ids + e->ci_len, e->ids + first, k * sizeof(int));
    *slot = (CacheSlot){h, e->cw_len, e->ci_len, (uint32_t)n, (uint32_t)k};
    e->cw_len += n;
    e->ci_len += k;
    e->cache_used++;
    return 0;
}

static int bpe_emit_syms(Encoder *e) {
    for (int i = 0; i >= 0; i = e->syms[i].next)
        if (emit(e, e->syms[i].id) != 0) return -1;
    return 0;
}

/* One pre-token: its ids are appended to e->ids. */
static int bpe_word(Encoder *e, const unsigned char *w, size_t n) {
    const Tokenizer *t = e->t;
    if (n == 1) return emit(e, t->byte_id[w[0]]);
    if (t->ignore_merges) {
        int id = vocab_find(t, w, n);
        if (id >= 0) return emit(e, id);
    }
    CacheSlot *slot = NULL;
    uint64_t h = 0;
    if (n <= CACHE_MAX_WORD) {
        if (2 * (e->cache_used + 1) > e->cache_cap && cache_rehash(e) != 0) return -1;
        h = fnv1a(w, n);
        slot = cache_slot(e, w, n, h);
        if (slot->word_len) {
            for (uint32_t i = 0; i < slot->ids_len; i++)
                if (emit(e, e->cache_ids[slot->ids_off + i]) != 0) return -1;
            return 0;
        }
    }
    size_t first = e->n;
    if (bpe_merge(e, w, n) != 0 || bpe_emit_syms(e) != 0) return -1;
    return slot ? cache_store(e, slot, w, n, h, first) : 0;
}

static int pretokenize(Encoder *e, int step, const unsigned char *s, size_t n);

/* A split step: valid UTF-8 runs are cut by the regex; every invalid byte is
 * a piece of its own (see tokenizer.h). */
static int split_step(Encoder *e, int step, const unsigned char *s, size_t n) {
    int kind = e->t->steps[step];
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        while (run < n) {
            size_t len = utf8_valid_len(s, n, run);
            if (!len) break;
            run += len;
        }
        while (i < run) {
            size_t end = kind == STEP_SPLIT_GPT2 ? match_gpt2(s, run, i) : match_llama3(s, run, i);
            if (pretokenize(e, step + 1, s + i, end - i) != 0) return -1;
            i = end;
        }
        if (i < n && pretokenize(e, step + 1, s + i, 1) != 0) return -1;
        if (i < n) i++;
    }
    return 0;
}

/* ByteLevel's add_prefix_space: a space in front unless there is one. */
static int prefix_step(Encoder *e, int step, const unsigned char *s, size_t n) {
    if (n && s[0] == ' ') return pretokenize(e, step + 1, s, n);
    unsigned char *buf = malloc(n + 1);
    if (!buf) return -1;
    buf[0] = ' ';
    if (n) memcpy(buf + 1, s, n);
    int rc = pretokenize(e, step + 1, buf, n + 1);
    free(buf);
    return rc;
}

static int record_piece(Encoder *e, size_t n) {
    if (grow((void **)&e->pieces, &e->pieces_cap, e->npieces + 1, sizeof *e->pieces) != 0) return -1;
    e->pieces[e->npieces++] = n;
    return 0;
}

static int pretokenize(Encoder *e, int step, const unsigned char *s, size_t n) {
    if (step == e->t->nsteps) return !n ? 0 : e->record ? record_piece(e, n) : bpe_word(e, s, n);
    if (e->t->steps[step] == STEP_PREFIX_SPACE) return prefix_step(e, step, s, n);
    return split_step(e, step, s, n);
}

/* Start of the whitespace run that ends at s[end] (within s[from..end)). */
static size_t trailing_space_start(const unsigned char *s, size_t from, size_t end) {
    size_t start = from;
    for (size_t i = from; i < end;) {
        size_t len = utf8_valid_len(s, end, i);
        uint32_t cp = 0;
        if (len) cp = utf8_decode(s, i, &len);
        i += len ? len : 1;
        if (!len || swan_unicode_class(cp) != CL_S) start = i;
    }
    return start;
}

static size_t leading_space_end(const unsigned char *s, size_t i, size_t n) {
    while (i < n) {
        size_t len = utf8_valid_len(s, n, i);
        uint32_t cp;
        if (!len || class_at(s, i, &len, &cp) != CL_S) break;
        i += len;
    }
    return i;
}

/* Leftmost-longest added token of tokens[0..count) in s[from..n). */
static const AddedToken *find_added(const Tokenizer *t, int pass, const AddedToken *tokens,
                                    size_t count, const unsigned char *s, size_t n, size_t from,
                                    size_t *at) {
    for (size_t i = from; i < n; i++) {
        const AddedToken *best = NULL;
        if (!t->starts[pass][s[i]]) continue;
        for (size_t k = 0; k < count; k++) {
            const AddedToken *a = &tokens[k];
            if (a->len <= n - i && t->arena[a->off] == s[i] &&
                !memcmp(t->arena + a->off, s + i, a->len) && (!best || a->len > best->len))
                best = a;
        }
        if (best) {
            *at = i;
            return best;
        }
    }
    return NULL;
}

/* Pass 0 cuts out the non-normalized added tokens, pass 1 the normalized ones
 * in what is left (with no normalizer both see the same text, but the order
 * of the passes still decides overlaps, as in HF). */
static int encode_piece(Encoder *e, int pass, const unsigned char *s, size_t n) {
    const Tokenizer *t = e->t;
    if (pass == 2) return pretokenize(e, 0, s, n);
    size_t count = pass == 0 ? t->nadded_raw : t->nadded - t->nadded_raw;
    if (count == 0) return n ? encode_piece(e, pass + 1, s, n) : 0; /* t->added may be NULL */
    const AddedToken *tokens = pass == 0 ? t->added : t->added + t->nadded_raw;
    size_t done = 0, at;
    const AddedToken *a;
    while ((a = find_added(t, pass, tokens, count, s, n, done, &at))) {
        size_t start = a->lstrip ? trailing_space_start(s, done, at) : at;
        size_t stop = at + a->len;
        if (a->rstrip) stop = leading_space_end(s, stop, n);
        if (start > done && encode_piece(e, pass + 1, s + done, start - done) != 0) return -1;
        if (emit(e, a->id) != 0) return -1;
        done = stop;
    }
    return done < n ? encode_piece(e, pass + 1, s + done, n - done) : 0;
}

static void encoder_free(Encoder *e) {
    free(e->syms);
    free(e->heap);
    free(e->cache);
    free(e->cache_words);
    free(e->cache_ids);
}

int tokenizer_encode(const Tokenizer *t, const unsigned char *text, size_t len, int **ids,
                     size_t *n, SwanError *err) {
    if (len > INT_MAX) /* symbol positions and ids are ints */
        return swan_error_set(err, "tokenizer: text of %zu bytes is too long (at most %d)", len, INT_MAX);
    Encoder e = {.t = t};
    /* About 4 bytes per token in English; the byte tokenizer needs len. */
    size_t guess = t->bytes_only ? len + 1 : len / 3 + 16;
    int rc = grow((void **)&e.ids, &e.cap, guess, sizeof *e.ids);
    if (rc == 0 && t->bytes_only)
        for (size_t i = 0; i < len; i++) e.ids[e.n++] = text[i];
    else if (rc == 0)
        rc = encode_piece(&e, 0, text, len);
    encoder_free(&e);
    if (rc != 0) {
        free(e.ids);
        return swan_error_set(err, "tokenizer: out of memory encoding %zu bytes", len);
    }
    *ids = e.ids;
    *n = e.n;
    return 0;
}

int tokenizer_pretokenize(const Tokenizer *t, const unsigned char *text, size_t len,
                          size_t **lens, size_t *n, SwanError *err) {
    Encoder e = {.t = t, .record = 1};
    int rc = 0;
    if (t->bytes_only)
        for (size_t i = 0; i < len && rc == 0; i++) rc = record_piece(&e, 1);
    else if (len) /* HF gives no piece for "", not even a prefix space */
        rc = pretokenize(&e, 0, text, len);
    encoder_free(&e);
    if (rc != 0) {
        free(e.pieces);
        return swan_error_set(err, "tokenizer: out of memory pre-tokenizing %zu bytes", len);
    }
    *lens = e.pieces;
    *n = e.npieces;
    return 0;
}

/* ---------- decoding ---------- */

int tokenizer_token_bytes(const Tokenizer *t, int id, const unsigned char **bytes, size_t *len) {
    if (id < 0 || id >= t->nids || t->tok_len[id] == UINT32_MAX) return -1;
    *bytes = t->arena + t->tok_off[id];
    *len = t->tok_len[id];
    return 0;
}

int tokenizer_decode(const Tokenizer *t, const int *ids, size_t n, unsigned char **bytes,
                     size_t *len, SwanError *err) {
    size_t total = 0;
    const unsigned char *b;
    size_t l;
    for (size_t i = 0; i < n; i++) {
        if (tokenizer_token_bytes(t, ids[i], &b, &l) != 0)
            return swan_error_set(err, "tokenizer: token id %d (position %zu) is not in the vocabulary",
                                  ids[i], i);
        total += l;
    }
    unsigned char *out = malloc(total + 1);
    if (!out) return swan_error_set(err, "tokenizer: out of memory decoding %zu tokens", n);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        tokenizer_token_bytes(t, ids[i], &b, &l);
        memcpy(out + k, b, l);
        k += l;
    }
    out[k] = '\0';
    *bytes = out;
    *len = k;
    return 0;
}

int tokenizer_vocab_size(const Tokenizer *t) { return t->nids; }

void tokenizer_free(Tokenizer *t) {
    if (!t) return;
    free(t->tok_off);
    free(t->tok_len);
    free(t->arena);
    free(t->vocab_slots);
    free(t->merges);
    free(t->added);
    free(t);
}

/* ---------- loading ---------- */

/* The parse state every loader helper needs to report an error. */
typedef struct {
    const char *path;
    Tokenizer *t;
    SwanError *err;
} Load;

static int arena_add(Tokenizer *t, const void *bytes, size_t n, size_t *off) {
    if (grow((void **)&t->arena, &t->arena_cap, t->arena_len + n + 1, 1) != 0) return -1;
    memcpy(t->arena + t->arena_len, bytes, n);
    *off = t->arena_len;
    t->arena_len += n;
    return 0;
}

/* A token's raw bytes: the byte-level alphabet undone when every character
 * is in it, else the UTF-8 text itself (what HF's ByteLevel decoder does). */
static size_t token_raw_bytes(const char *s, unsigned char *out, int *bytelevel) {
    size_t n = strlen(s), k = 0;
    const unsigned char *u = (const unsigned char *)s;
    *bytelevel = 1;
    for (size_t i = 0; i < n;) {
        size_t len = utf8_valid_len(u, n, i);
        int b = -1;
        if (len) b = alphabet_byte(utf8_decode(u, i, &len));
        if (b < 0) {
            *bytelevel = 0;
            memcpy(out, s, n);
            return n;
        }
        out[k++] = (unsigned char)b;
        i += len;
    }
    return k;
}

static int set_token(Load *L, int id, const char *content, int *bytelevel) {
    Tokenizer *t = L->t;
    unsigned char stackbuf[256];
    size_t n = strlen(content);
    unsigned char *buf = n <= sizeof stackbuf ? stackbuf : malloc(n);
    if (!buf) return swan_error_set(L->err, "%s: out of memory", L->path);
    size_t len = token_raw_bytes(content, buf, bytelevel);
    int rc = 0;
    if (len >= UINT32_MAX || arena_add(t, buf, len, &t->tok_off[id]) != 0)
        rc = swan_error_set(L->err, "%s: out of memory", L->path);
    else
        t->tok_len[id] = (uint32_t)len;
    if (buf != stackbuf) free(buf);
    return rc;
}

/* Ids index dense tables, so one absurd id would cost gigabytes; the
 * largest real vocabularies are a few hundred thousand. */
#define TOKENIZER_MAX_ID (1 << 24)

static int json_id(Load *L, const cJSON *item, const char *what, int *id) {
    if (!cJSON_IsNumber(item) || item->valuedouble < 0 || item->valuedouble >= TOKENIZER_MAX_ID ||
        item->valuedouble != (double)(int)item->valuedouble)
        return swan_error_set(L->err, "%s: %s: id is not a whole number in [0, %d)", L->path,
                              what, TOKENIZER_MAX_ID);
    *id = (int)item->valuedouble;
    return 0;
}

static int json_flag(Load *L, const cJSON *obj, const char *key, int *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    *out = 0;
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsBool(v)) return swan_error_set(L->err, "%s: '%s' must be true or false", L->path, key);
    *out = cJSON_IsTrue(v);
    return 0;
}

static const char *json_type(const cJSON *obj) {
    const cJSON *ty = cJSON_GetObjectItemCaseSensitive(obj, "type");
    return cJSON_IsString(ty) ? ty->valuestring : "(no type)";
}

/* Largest id in vocab and added_tokens, so the per-id arrays can be sized. */
static int count_ids(Load *L, const cJSON *vocab, const cJSON *added) {
    int max = -1, id = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, vocab) {
        if (json_id(L, it, "model.vocab", &id) != 0) return -1;
        if (id > max) max = id;
    }
    cJSON_ArrayForEach(it, added) {
        if (json_id(L, cJSON_GetObjectItemCaseSensitive(it, "id"), "added_tokens", &id) != 0) return -1;
        if (id > max) max = id;
    }
    if (max < 0) return swan_error_set(L->err, "%s: the vocabulary is empty", L->path);
    L->t->nids = max + 1;
    return 0;
}

static int vocab_insert(Load *L, int id) {
    Tokenizer *t = L->t;
    size_t mask = t->vocab_cap - 1;
    const unsigned char *s = t->arena + t->tok_off[id];
    for (size_t i = fnv1a(s, t->tok_len[id]) & mask;; i = (i + 1) & mask) {
        int other = t->vocab_slots[i];
        if (other < 0) {
            t->vocab_slots[i] = id;
            return 0;
        }
        if (t->tok_len[other] == t->tok_len[id] && !memcmp(t->arena + t->tok_off[other], s, t->tok_len[id]))
            return swan_error_set(L->err, "%s: model.vocab: ids %d and %d are the same token", L->path,
                                  other, id);
    }
}

static int load_vocab(Load *L, const cJSON *vocab) {
    Tokenizer *t = L->t;
    size_t count = (size_t)cJSON_GetArraySize(vocab);
    t->vocab_cap = pow2_at_least(2 * count + 2);
    t->vocab_slots = malloc(t->vocab_cap * sizeof *t->vocab_slots);
    if (!t->vocab_slots) return swan_error_set(L->err, "%s: out of memory", L->path);
    memset(t->vocab_slots, 0xff, t->vocab_cap * sizeof *t->vocab_slots);
    const cJSON *it;
    cJSON_ArrayForEach(it, vocab) {
        int id = (int)it->valuedouble, bytelevel;
        if (t->tok_len[id] != UINT32_MAX)
            return swan_error_set(L->err, "%s: model.vocab: id %d is used twice", L->path, id);
        if (set_token(L, id, it->string, &bytelevel) != 0) return -1;
        /* Only alphabet tokens can come out of BPE on bytes. */
        if (bytelevel && vocab_insert(L, id) != 0) return -1;
    }
    for (int b = 0; b < 256; b++) {
        unsigned char c = (unsigned char)b;
        if ((t->byte_id[b] = vocab_find(t, &c, 1)) < 0)
            return swan_error_set(L->err,
                                  "%s: model.vocab has no token for byte 0x%02X (a byte-level BPE "
                                  "needs all 256)", L->path, b);
    }
    return 0;
}

/* Id of a merge operand, which must be a byte-level vocabulary token. */
static int merge_operand(Load *L, const char *tok, size_t index, unsigned char *raw, size_t *rawlen) {
    int bytelevel;
    if (strlen(tok) > 1024) return swan_error_set(L->err, "%s: model.merges[%zu]: token too long", L->path, index);
    *rawlen = token_raw_bytes(tok, raw, &bytelevel);
    int id = bytelevel ? vocab_find(L->t, raw, *rawlen) : -1;
    if (id < 0)
        return swan_error_set(L->err, "%s: model.merges[%zu]: '%s' is not a byte-level token of model.vocab",
                              L->path, index, tok);
    return id;
}

static int add_merge(Load *L, const char *a, const char *b, size_t rank) {
    Tokenizer *t = L->t;
    unsigned char raw[2 * 1024 + 2];
    size_t la = 0, lb = 0;
    int ia = merge_operand(L, a, rank, raw, &la);
    if (ia < 0) return -1;
    int ib = merge_operand(L, b, rank, raw + la, &lb);
    if (ib < 0) return -1;
    int id = vocab_find(t, raw, la + lb);
    if (id < 0)
        return swan_error_set(L->err, "%s: model.merges[%zu]: '%s%s' is not in model.vocab", L->path,
                              rank, a, b);
    uint64_t key = (uint64_t)(uint32_t)ia << 32 | (uint32_t)ib;
    size_t mask = t->merge_cap - 1, i = mix64(key) & mask;
    while (t->merges[i].used && t->merges[i].pair != key) i = (i + 1) & mask;
    /* A repeated pair keeps its last rank, as HF's HashMap collect does. */
    t->merges[i] = (MergeSlot){key, (int)rank, id, 1};
    return 0;
}

static int load_merges(Load *L, const cJSON *merges) {
    Tokenizer *t = L->t;
    size_t count = (size_t)cJSON_GetArraySize(merges);
    if (count >= INT_MAX) return swan_error_set(L->err, "%s: too many merges", L->path);
    t->merge_cap = pow2_at_least(2 * count + 2);
    if (!(t->merges = calloc(t->merge_cap, sizeof *t->merges)))
        return swan_error_set(L->err, "%s: out of memory", L->path);
    size_t rank = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, merges) {
        char buf[2100];
        const char *a = NULL, *b = NULL;
        if (cJSON_IsString(m) && strlen(m->valuestring) < sizeof buf) {
            strcpy(buf, m->valuestring);
            char *sp = strchr(buf, ' ');
            if (sp && !strchr(sp + 1, ' ')) *sp = '\0', a = buf, b = sp + 1;
        } else if (cJSON_IsArray(m) && cJSON_GetArraySize(m) == 2 && cJSON_IsString(m->child) &&
                   cJSON_IsString(m->child->next)) {
            a = m->child->valuestring, b = m->child->next->valuestring;
        }
        if (!a) return swan_error_set(L->err, "%s: model.merges[%zu] is not \"a b\" nor [a, b]", L->path, rank);
        if (add_merge(L, a, b, rank++) != 0) return -1;
    }
    return 0;
}

static int check_model_options(Load *L, const cJSON *model) {
    const char *type = json_type(model);
    if (strcmp(type, "BPE") != 0)
        return swan_error_set(L->err, "%s: model type '%s' is not supported (only BPE)", L->path, type);
    static const char *const unset[] = {"dropout", "continuing_subword_prefix", "end_of_word_suffix"};
    for (size_t i = 0; i < sizeof unset / sizeof unset[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(model, unset[i]);
        if (v && !cJSON_IsNull(v) && !(cJSON_IsString(v) && !*v->valuestring))
            return swan_error_set(L->err, "%s: model.%s is not supported", L->path, unset[i]);
    }
    return json_flag(L, model, "ignore_merges", &L->t->ignore_merges);
}

static int add_step(Load *L, int kind) {
    if (L->t->nsteps == MAX_STEPS)
        return swan_error_set(L->err, "%s: pre_tokenizer has too many steps", L->path);
    L->t->steps[L->t->nsteps++] = kind;
    return 0;
}

static int load_split(Load *L, const cJSON *p) {
    const cJSON *pat = cJSON_GetObjectItemCaseSensitive(p, "pattern");
    const cJSON *re = cJSON_GetObjectItemCaseSensitive(pat, "Regex");
    const cJSON *behavior = cJSON_GetObjectItemCaseSensitive(p, "behavior");
    int invert;
    if (json_flag(L, p, "invert", &invert) != 0) return -1;
    if (!cJSON_IsString(behavior) || strcmp(behavior->valuestring, "Isolated") != 0 || invert)
        return swan_error_set(L->err, "%s: pre_tokenizer Split is supported only with behavior "
                              "Isolated, not inverted", L->path);
    if (!cJSON_IsString(re))
        return swan_error_set(L->err, "%s: pre_tokenizer Split needs a Regex pattern", L->path);
    if (!strcmp(re->valuestring, GPT2_PATTERN)) return add_step(L, STEP_SPLIT_GPT2);
    if (!strcmp(re->valuestring, LLAMA3_PATTERN)) return add_step(L, STEP_SPLIT_LLAMA3);
    return swan_error_set(L->err, "%s: pre_tokenizer Split regex %.200s is not supported (only the "
                          "GPT-2 and Llama-3 patterns)", L->path, re->valuestring);
}

static int load_bytelevel(Load *L, const cJSON *p) {
    int prefix, use_regex = 1;
    const cJSON *ur = cJSON_GetObjectItemCaseSensitive(p, "use_regex");
    if (json_flag(L, p, "add_prefix_space", &prefix) != 0) return -1;
    if (ur && json_flag(L, p, "use_regex", &use_regex) != 0) return -1;
    if (prefix && add_step(L, STEP_PREFIX_SPACE) != 0) return -1;
    return use_regex ? add_step(L, STEP_SPLIT_GPT2) : 0;
}

/* ByteLevel alone, or Sequence[Split..., ByteLevel]: ByteLevel must come last
 * because its alphabet mapping would change what a later regex sees. */
static int load_pre_tokenizer(Load *L, const cJSON *p) {
    const char *type = json_type(p);
    if (!strcmp(type, "ByteLevel")) return load_bytelevel(L, p);
    if (strcmp(type, "Sequence") != 0)
        return swan_error_set(L->err, "%s: pre_tokenizer '%s' is not supported (ByteLevel, or a "
                              "Sequence of Split steps ending in ByteLevel)", L->path, type);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(p, "pretokenizers"), *step;
    int n = cJSON_GetArraySize(list), i = 0;
    cJSON_ArrayForEach(step, list) {
        const char *st = json_type(step);
        int last = ++i == n;
        if (last && !strcmp(st, "ByteLevel")) return load_bytelevel(L, step);
        if (!last && !strcmp(st, "Split")) {
            if (load_split(L, step) != 0) return -1;
            continue;
        }
        break;
    }
    return swan_error_set(L->err, "%s: pre_tokenizer Sequence is supported only as Split steps "
                          "followed by ByteLevel", L->path);
}

static int check_normalizer_decoder(Load *L, const cJSON *root) {
    const cJSON *norm = cJSON_GetObjectItemCaseSensitive(root, "normalizer");
    if (norm && !cJSON_IsNull(norm)) {
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(norm, "normalizers");
        if (strcmp(json_type(norm), "Sequence") != 0 || cJSON_GetArraySize(list) != 0)
            return swan_error_set(L->err, "%s: normalizer '%s' is not supported (text must be used as is)",
                                  L->path, json_type(norm));
    }
    const cJSON *dec = cJSON_GetObjectItemCaseSensitive(root, "decoder");
    if (dec && !cJSON_IsNull(dec) && strcmp(json_type(dec), "ByteLevel") != 0)
        return swan_error_set(L->err, "%s: decoder '%s' is not supported (only ByteLevel)", L->path,
                              json_type(dec));
    return 0;
}

static int load_added_one(Load *L, const cJSON *a, AddedToken *out) {
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(a, "content");
    int single_word, bytelevel;
    if (!cJSON_IsString(content)) return swan_error_set(L->err, "%s: added_tokens: entry without content", L->path);
    if (json_id(L, cJSON_GetObjectItemCaseSensitive(a, "id"), "added_tokens", &out->id) != 0 ||
        json_flag(L, a, "single_word", &single_word) != 0 || json_flag(L, a, "lstrip", &out->lstrip) != 0 ||
        json_flag(L, a, "rstrip", &out->rstrip) != 0)
        return -1;
    if (single_word)
        return swan_error_set(L->err, "%s: added token '%s': single_word is not supported", L->path,
                              content->valuestring);
    /* The content is matched as typed; decoding gives its alphabet-decoded
     * bytes, as HF's ByteLevel decoder does for every token. */
    size_t len = strlen(content->valuestring);
    if (arena_add(L->t, content->valuestring, len, &out->off) != 0)
        return swan_error_set(L->err, "%s: out of memory", L->path);
    out->len = len;
    if (L->t->tok_len[out->id] == UINT32_MAX) return set_token(L, out->id, content->valuestring, &bytelevel);
    /* The id is taken: fine only for the very same token (HF reuses a model
     * token's id for an added token with its content). */
    const unsigned char *old = L->t->arena + L->t->tok_off[out->id];
    size_t oldlen = L->t->tok_len[out->id];
    unsigned char raw[1024];
    if (len <= sizeof raw && token_raw_bytes(content->valuestring, raw, &bytelevel) == oldlen &&
        !memcmp(raw, old, oldlen))
        return 0;
    return swan_error_set(L->err, "%s: added token '%s' has id %d, which another token has",
                          L->path, content->valuestring, out->id);
}

/* Added tokens, non-normalized ones first (see encode_piece). Empty contents
 * are skipped as HF does. */
static int load_added(Load *L, const cJSON *added) {
    Tokenizer *t = L->t;
    size_t n = (size_t)cJSON_GetArraySize(added);
    if (n && !(t->added = calloc(n, sizeof *t->added))) return swan_error_set(L->err, "%s: out of memory", L->path);
    for (int pass = 0; pass < 2; pass++) {
        const cJSON *a;
        cJSON_ArrayForEach(a, added) {
            int normalized = 1;
            const cJSON *c = cJSON_GetObjectItemCaseSensitive(a, "content");
            const cJSON *nv = cJSON_GetObjectItemCaseSensitive(a, "normalized");
            if (nv && json_flag(L, a, "normalized", &normalized) != 0) return -1;
            if (normalized != pass || (cJSON_IsString(c) && !*c->valuestring)) continue;
            AddedToken *tok = &t->added[t->nadded++];
            if (load_added_one(L, a, tok) != 0) return -1;
            t->starts[pass][t->arena[tok->off]] = 1;
        }
        if (pass == 0) t->nadded_raw = t->nadded;
    }
    return 0;
}

static int load_tables(Load *L, const cJSON *root) {
    Tokenizer *t = L->t;
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
    const cJSON *vocab = cJSON_GetObjectItemCaseSensitive(model, "vocab");
    const cJSON *merges = cJSON_GetObjectItemCaseSensitive(model, "merges");
    const cJSON *added = cJSON_GetObjectItemCaseSensitive(root, "added_tokens");
    const cJSON *pre = cJSON_GetObjectItemCaseSensitive(root, "pre_tokenizer");
    if (!cJSON_IsObject(model)) return swan_error_set(L->err, "%s: no 'model' object", L->path);
    if (check_model_options(L, model) != 0 || check_normalizer_decoder(L, root) != 0) return -1;
    if (!cJSON_IsObject(pre))
        return swan_error_set(L->err, "%s: pre_tokenizer is missing (a byte-level BPE needs ByteLevel)", L->path);
    if (load_pre_tokenizer(L, pre) != 0) return -1;
    if (!cJSON_IsObject(vocab) || (merges && !cJSON_IsArray(merges)) || (added && !cJSON_IsArray(added)))
        return swan_error_set(L->err, "%s: model.vocab must be an object, model.merges and "
                              "added_tokens arrays", L->path);
    if (count_ids(L, vocab, added) != 0) return -1;
    t->tok_off = calloc((size_t)t->nids, sizeof *t->tok_off);
    t->tok_len = malloc((size_t)t->nids * sizeof *t->tok_len);
    if (!t->tok_off || !t->tok_len) return swan_error_set(L->err, "%s: out of memory", L->path);
    memset(t->tok_len, 0xff, (size_t)t->nids * sizeof *t->tok_len);
    if (load_vocab(L, vocab) != 0) return -1;
    if (merges && load_merges(L, merges) != 0) return -1;
    return load_added(L, added);
}

static char *read_file(const char *path, size_t *len, SwanError *err) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        swan_error_set(err, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat sb;
    char *text = NULL;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) swan_error_set(err, "%s: not a regular file", path);
    else if (sb.st_size > TOKENIZER_MAX_BYTES) swan_error_set(err, "%s: too large (%lld bytes)", path, (long long)sb.st_size);
    else if (!(text = malloc((size_t)sb.st_size + 1))) swan_error_set(err, "%s: out of memory reading it", path);
    else if ((*len = fread(text, 1, (size_t)sb.st_size, f)) != (size_t)sb.st_size || ferror(f)) {
        swan_error_set(err, "%s: read error", path);
        free(text);
        text = NULL;
    }
    fclose(f);
    if (text) text[*len] = '\0';
    return text;
}

int tokenizer_load(const char *path, Tokenizer **out, SwanError *err) {
    size_t len = 0;
    char *text = read_file(path, &len, err);
    if (!text) return -1;
    cJSON *root = cJSON_ParseWithLength(text, len);
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        long off = at && at >= text && at <= text + len ? (long)(at - text) : -1;
        free(text);
        return swan_error_set(err, "%s: not valid JSON (near byte %ld)", path, off);
    }
    free(text);
    Load L = {path, calloc(1, sizeof(Tokenizer)), err};
    int rc = L.t ? load_tables(&L, root) : swan_error_set(err, "%s: out of memory", path);
    cJSON_Delete(root);
    if (rc != 0) {
        tokenizer_free(L.t);
        return -1;
    }
    *out = L.t;
    return 0;
}

int tokenizer_bytes(Tokenizer **out, SwanError *err) {
    Tokenizer *t = calloc(1, sizeof *t);
    if (t) {
        t->bytes_only = 1;
        t->nids = 256;
        t->tok_off = malloc(256 * sizeof *t->tok_off);
        t->tok_len = malloc(256 * sizeof *t->tok_len);
        t->arena = malloc(256);
    }
    if (!t || !t->tok_off || !t->tok_len || !t->arena) {
        tokenizer_free(t);
        return swan_error_set(err, "tokenizer: out of memory");
    }
    for (int b = 0; b < 256; b++) {
        t->arena[b] = (unsigned char)b;
        t->tok_off[b] = (size_t)b;
        t->tok_len[b] = 1;
        t->byte_id[b] = b;
    }
    t->arena_len = t->arena_cap = 256;
    *out = t;
    return 0;
}
