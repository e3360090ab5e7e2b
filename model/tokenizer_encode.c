/* Encoding and decoding with a loaded Tokenizer (tokenizer_load.c builds it).
 *
 * Encoding follows Hugging Face tokenizers step by step, because "the same
 * ids" is the contract:
 *   1. added tokens are cut out of the text first (leftmost-longest match;
 *      the non-normalized ones over the whole text, then, in each piece left
 *      and after the normalizer (NFC) ran on that piece, the normalized
 *      ones), honouring lstrip/rstrip;
 *   2. every other piece goes through the pre-tokenizer steps: Digits, the
 *      split regexes (matched by hand-written code below, equivalent to
 *      Oniguruma on these exact patterns) and ByteLevel's prefix space;
 *   3. each resulting word is BPE-merged on byte tokens, lowest merge rank
 *      first and leftmost among equal ranks, with a binary heap, exactly the
 *      order of HF's Word::merge_all;
 *   4. the post-processor's template adds its tokens around the whole text
 *      (add_special_tokens).
 * Tokens are kept as their raw bytes (the byte-level alphabet undone), so the
 * text never has to be mapped to the alphabet and back. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer_impl.h"
#include "unicode_normalize.h"

/* model/unicode_tables.c (generated) */
int swan_unicode_class(uint32_t cp);
int swan_unicode_fold_ascii(uint32_t cp);

enum { CL_OTHER = 0, CL_L = 1, CL_N = 2, CL_S = 4 };

#define CACHE_MAX_WORD 64 /* longer words are rare; not worth caching */

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
    case 's':
    case 't':
    case 'm':
    case 'd': return end[0] - i;
    case 'r':
    case 'v': return c[1] == 'e' ? end[1] - i : 0;
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
    if (k != CL_N && c != '\r' && c != '\n' && i + len < n && class_at(s, i + len, &len2, &c2) == CL_L)
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
static int cache_store(Encoder *e, CacheSlot *slot, const unsigned char *w, size_t n, uint64_t h,
                       size_t first) {
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

/* HF's Digits: each numeric character (Rust's char::is_numeric) a piece of
 * its own, or each run of them; the text between them one piece. Invalid
 * bytes are pieces of their own, as in split_step. */
static int digits_step(Encoder *e, int step, const unsigned char *s, size_t n) {
    int each = e->t->steps[step] == STEP_DIGITS_EACH;
    size_t i = 0, len;
    while (i < n) {
        size_t end = i + 1;
        if ((len = utf8_valid_len(s, n, i))) {
            int numeric = unicode_is_numeric(utf8_decode(s, i, &len));
            for (end = i + len; end < n && !(numeric && each); end += len) {
                if (!(len = utf8_valid_len(s, n, end))) break;
                if (unicode_is_numeric(utf8_decode(s, end, &len)) != numeric) break;
            }
        }
        if (pretokenize(e, step + 1, s + i, end - i) != 0) return -1;
        i = end;
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
    switch (e->t->steps[step]) {
    case STEP_PREFIX_SPACE: return prefix_step(e, step, s, n);
    case STEP_DIGITS_EACH:
    case STEP_DIGITS_RUNS: return digits_step(e, step, s, n);
    default: return split_step(e, step, s, n);
    }
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

static int encode_piece(Encoder *e, int pass, const unsigned char *s, size_t n);

/* Pass 0 cuts out the non-normalized added tokens, pass 1 the normalized ones
 * in what is left (with no normalizer both see the same text, but the order
 * of the passes still decides overlaps, as in HF). */
static int cut_added(Encoder *e, int pass, const unsigned char *s, size_t n) {
    const Tokenizer *t = e->t;
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

/* A piece between non-normalized added tokens is normalized (HF's
 * AddedVocabulary::extract_and_normalize) before the normalized added
 * tokens are looked for in it. */
static int encode_piece(Encoder *e, int pass, const unsigned char *s, size_t n) {
    if (pass == 2) return pretokenize(e, 0, s, n);
    if (pass == 0 || !e->t->nfc) return cut_added(e, pass, s, n);
    unsigned char *norm;
    size_t len;
    if (unicode_nfc(s, n, &norm, &len) != 0) return -1;
    int rc = norm ? cut_added(e, pass, norm, len) : cut_added(e, pass, s, n);
    free(norm);
    return rc;
}

static void encoder_free(Encoder *e) {
    free(e->syms);
    free(e->heap);
    free(e->cache);
    free(e->cache_words);
    free(e->cache_ids);
}

/* The template's ids around the text (HF's post-processor). */
static int emit_all(Encoder *e, const int *ids, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (emit(e, ids[i]) != 0) return -1;
    return 0;
}

int tokenizer_encode_ex(const Tokenizer *t, const unsigned char *text, size_t len, int add_special,
                        int **ids, size_t *n, SwanError *err) {
    if (len > INT_MAX) /* symbol positions and ids are ints */
        return swan_error_set(err, "tokenizer: text of %zu bytes is too long (at most %d)", len,
                              INT_MAX);
    Encoder e = {.t = t};
    /* About 4 bytes per token in English; the byte tokenizer needs len. */
    size_t guess = t->bytes_only ? len + 1 : len / 3 + 16;
    int rc = grow((void **)&e.ids, &e.cap, guess, sizeof *e.ids);
    if (rc == 0 && add_special) rc = emit_all(&e, t->prefix, t->nprefix);
    if (rc == 0 && t->bytes_only)
        for (size_t i = 0; i < len; i++) e.ids[e.n++] = text[i];
    else if (rc == 0)
        rc = encode_piece(&e, 0, text, len);
    if (rc == 0 && add_special) rc = emit_all(&e, t->suffix, t->nsuffix);
    encoder_free(&e);
    if (rc != 0) {
        free(e.ids);
        return swan_error_set(err, "tokenizer: out of memory encoding %zu bytes", len);
    }
    *ids = e.ids;
    *n = e.n;
    return 0;
}

int tokenizer_encode(const Tokenizer *t, const unsigned char *text, size_t len, int **ids, size_t *n,
                     SwanError *err) {
    return tokenizer_encode_ex(t, text, len, 1, ids, n, err);
}

int tokenizer_pretokenize(const Tokenizer *t, const unsigned char *text, size_t len, size_t **lens,
                          size_t *n, SwanError *err) {
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

int tokenizer_decode(const Tokenizer *t, const int *ids, size_t n, unsigned char **bytes, size_t *len,
                     SwanError *err) {
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

int tokenizer_vocab_size(const Tokenizer *t) {
    return t->nids;
}
