/* Loading a tokenizer.json into a Tokenizer, and the plain byte tokenizer.
 *
 * Everything tokenizer.h promises to refuse is refused here, once, so the
 * encoder (tokenizer_encode.c) can trust the tables it is given: every id in
 * range, all 256 byte tokens present, every merge operand and result a
 * byte-level token of the vocabulary. */
#include <cJSON.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "file_read.h"
#include "tokenizer_impl.h"
#include "unicode_normalize.h"

#define TOKENIZER_MAX_BYTES ((size_t)1 << 30)

static const char GPT2_PATTERN[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
static const char LLAMA3_PATTERN[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}|"
    " ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

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

void tokenizer_free(Tokenizer *t) {
    if (!t) return;
    free(t->tok_off);
    free(t->tok_len);
    free(t->arena);
    free(t->vocab_slots);
    free(t->merges);
    free(t->added);
    free(t->prefix);
    free(t->suffix);
    free(t);
}

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
        return swan_error_set(L->err, "%s: %s: id is not a whole number in [0, %d)", L->path, what,
                              TOKENIZER_MAX_ID);
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
        if (t->tok_len[other] == t->tok_len[id] &&
            !memcmp(t->arena + t->tok_off[other], s, t->tok_len[id]))
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
                                  "needs all 256)",
                                  L->path, b);
    }
    return 0;
}

/* Id of a merge operand, which must be a byte-level vocabulary token. */
static int merge_operand(Load *L, const char *tok, size_t index, unsigned char *raw, size_t *rawlen) {
    int bytelevel;
    if (strlen(tok) > 1024)
        return swan_error_set(L->err, "%s: model.merges[%zu]: token too long", L->path, index);
    *rawlen = token_raw_bytes(tok, raw, &bytelevel);
    int id = bytelevel ? vocab_find(L->t, raw, *rawlen) : -1;
    if (id < 0)
        return swan_error_set(L->err,
                              "%s: model.merges[%zu]: '%s' is not a byte-level token of model.vocab",
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
        if (!a)
            return swan_error_set(L->err, "%s: model.merges[%zu] is not \"a b\" nor [a, b]", L->path,
                                  rank);
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
        return swan_error_set(L->err,
                              "%s: pre_tokenizer Split is supported only with behavior "
                              "Isolated, not inverted",
                              L->path);
    if (!cJSON_IsString(re))
        return swan_error_set(L->err, "%s: pre_tokenizer Split needs a Regex pattern", L->path);
    if (!strcmp(re->valuestring, GPT2_PATTERN)) return add_step(L, STEP_SPLIT_GPT2);
    if (!strcmp(re->valuestring, LLAMA3_PATTERN)) return add_step(L, STEP_SPLIT_LLAMA3);
    return swan_error_set(L->err,
                          "%s: pre_tokenizer Split regex %.200s is not supported (only the "
                          "GPT-2 and Llama-3 patterns)",
                          L->path, re->valuestring);
}

static int load_bytelevel(Load *L, const cJSON *p) {
    int prefix, use_regex = 1;
    const cJSON *ur = cJSON_GetObjectItemCaseSensitive(p, "use_regex");
    if (json_flag(L, p, "add_prefix_space", &prefix) != 0) return -1;
    if (ur && json_flag(L, p, "use_regex", &use_regex) != 0) return -1;
    if (prefix && add_step(L, STEP_PREFIX_SPACE) != 0) return -1;
    return use_regex ? add_step(L, STEP_SPLIT_GPT2) : 0;
}

static int load_digits(Load *L, const cJSON *p) {
    int each;
    if (json_flag(L, p, "individual_digits", &each) != 0) return -1;
    return add_step(L, each ? STEP_DIGITS_EACH : STEP_DIGITS_RUNS);
}

/* ByteLevel alone, or Sequence[Split or Digits..., ByteLevel]: ByteLevel must
 * come last because its alphabet mapping would change what a later step sees. */
static int load_pre_tokenizer(Load *L, const cJSON *p) {
    const char *type = json_type(p);
    if (!strcmp(type, "ByteLevel")) return load_bytelevel(L, p);
    if (strcmp(type, "Sequence") != 0)
        return swan_error_set(L->err,
                              "%s: pre_tokenizer '%s' is not supported (ByteLevel, or a "
                              "Sequence of Split and Digits steps ending in ByteLevel)",
                              L->path, type);
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
        if (!last && !strcmp(st, "Digits")) {
            if (load_digits(L, step) != 0) return -1;
            continue;
        }
        break;
    }
    return swan_error_set(L->err,
                          "%s: pre_tokenizer Sequence is supported only as Split and Digits "
                          "steps followed by ByteLevel",
                          L->path);
}

/* No normalizer, NFC, or a Sequence of NFCs (NFC twice is NFC once). */
static int load_normalizer(Load *L, const cJSON *norm) {
    if (!norm || cJSON_IsNull(norm)) return 0;
    const char *type = json_type(norm);
    if (!strcmp(type, "NFC")) {
        L->t->nfc = 1;
        return 0;
    }
    if (!strcmp(type, "Sequence")) {
        const cJSON *step;
        cJSON_ArrayForEach(step, cJSON_GetObjectItemCaseSensitive(norm, "normalizers")) {
            if (strcmp(json_type(step), "NFC") != 0) {
                type = json_type(step);
                break;
            }
            L->t->nfc = 1;
        }
        if (!step) return 0;
    }
    return swan_error_set(L->err, "%s: normalizer '%s' is not supported (only NFC)", L->path, type);
}

static int check_normalizer_decoder(Load *L, const cJSON *root) {
    if (load_normalizer(L, cJSON_GetObjectItemCaseSensitive(root, "normalizer")) != 0) return -1;
    const cJSON *dec = cJSON_GetObjectItemCaseSensitive(root, "decoder");
    if (dec && !cJSON_IsNull(dec) && strcmp(json_type(dec), "ByteLevel") != 0)
        return swan_error_set(L->err, "%s: decoder '%s' is not supported (only ByteLevel)", L->path,
                              json_type(dec));
    return 0;
}

/* An added token's content: matched as typed; decoding gives its
 * alphabet-decoded bytes, as HF's ByteLevel decoder does for every token. */
static int added_content(Load *L, AddedToken *out, const char *text) {
    int bytelevel;
    size_t len = strlen(text);
    if (arena_add(L->t, text, len, &out->off) != 0)
        return swan_error_set(L->err, "%s: out of memory", L->path);
    out->len = len;
    if (L->t->tok_len[out->id] == UINT32_MAX) return set_token(L, out->id, text, &bytelevel);
    /* The id is taken: fine only for the very same token (HF reuses a model
     * token's id for an added token with its content). */
    const unsigned char *old = L->t->arena + L->t->tok_off[out->id];
    size_t oldlen = L->t->tok_len[out->id];
    unsigned char raw[1024];
    if (len <= sizeof raw && token_raw_bytes(text, raw, &bytelevel) == oldlen &&
        !memcmp(raw, old, oldlen))
        return 0;
    return swan_error_set(L->err, "%s: added token '%s' has id %d, which another token has", L->path,
                          text, out->id);
}

/* A normalized token's content as HF keeps it: normalized too (so it is
 * found in normalized text, and decodes as that). *norm is NULL when the
 * content is its own NFC. */
static int normalized_content(Load *L, const char *text, char **norm) {
    unsigned char *out = NULL;
    size_t len;
    *norm = NULL;
    if (unicode_nfc((const unsigned char *)text, strlen(text), &out, &len) != 0)
        return swan_error_set(L->err, "%s: out of memory", L->path);
    if (!out) return 0;
    *norm = malloc(len + 1);
    if (*norm) memcpy(*norm, out, len), (*norm)[len] = '\0';
    free(out);
    return *norm ? 0 : swan_error_set(L->err, "%s: out of memory", L->path);
}

static int load_added_one(Load *L, const cJSON *a, int normalized, AddedToken *out) {
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(a, "content");
    int single_word;
    char *norm = NULL;
    if (!cJSON_IsString(content))
        return swan_error_set(L->err, "%s: added_tokens: entry without content", L->path);
    if (json_id(L, cJSON_GetObjectItemCaseSensitive(a, "id"), "added_tokens", &out->id) != 0 ||
        json_flag(L, a, "single_word", &single_word) != 0 ||
        json_flag(L, a, "lstrip", &out->lstrip) != 0 || json_flag(L, a, "rstrip", &out->rstrip) != 0)
        return -1;
    out->special = 0;
    if (cJSON_GetObjectItemCaseSensitive(a, "special") &&
        json_flag(L, a, "special", &out->special) != 0)
        return -1;
    if (single_word)
        return swan_error_set(L->err, "%s: added token '%s': single_word is not supported", L->path,
                              content->valuestring);
    if (normalized && L->t->nfc && normalized_content(L, content->valuestring, &norm) != 0) return -1;
    int rc = added_content(L, out, norm ? norm : content->valuestring);
    free(norm);
    return rc;
}

/* Added tokens, non-normalized ones first (see encode_piece). Empty contents
 * are skipped as HF does. */
static int load_added(Load *L, const cJSON *added) {
    Tokenizer *t = L->t;
    size_t n = (size_t)cJSON_GetArraySize(added);
    if (n && !(t->added = calloc(n, sizeof *t->added)))
        return swan_error_set(L->err, "%s: out of memory", L->path);
    for (int pass = 0; pass < 2; pass++) {
        const cJSON *a;
        cJSON_ArrayForEach(a, added) {
            int normalized = 1;
            const cJSON *c = cJSON_GetObjectItemCaseSensitive(a, "content");
            const cJSON *nv = cJSON_GetObjectItemCaseSensitive(a, "normalized");
            if (nv && json_flag(L, a, "normalized", &normalized) != 0) return -1;
            if (normalized != pass || (cJSON_IsString(c) && !*c->valuestring)) continue;
            AddedToken *tok = &t->added[t->nadded++];
            if (load_added_one(L, a, pass, tok) != 0) return -1;
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
        return swan_error_set(L->err, "%s: pre_tokenizer is missing (a byte-level BPE needs ByteLevel)",
                              L->path);
    if (load_pre_tokenizer(L, pre) != 0) return -1;
    if (!cJSON_IsObject(vocab) || (merges && !cJSON_IsArray(merges)) ||
        (added && !cJSON_IsArray(added)))
        return swan_error_set(L->err,
                              "%s: model.vocab must be an object, model.merges and "
                              "added_tokens arrays",
                              L->path);
    if (count_ids(L, vocab, added) != 0) return -1;
    t->tok_off = calloc((size_t)t->nids, sizeof *t->tok_off);
    t->tok_len = malloc((size_t)t->nids * sizeof *t->tok_len);
    if (!t->tok_off || !t->tok_len) return swan_error_set(L->err, "%s: out of memory", L->path);
    memset(t->tok_len, 0xff, (size_t)t->nids * sizeof *t->tok_len);
    if (load_vocab(L, vocab) != 0) return -1;
    if (merges && load_merges(L, merges) != 0) return -1;
    if (load_added(L, added) != 0) return -1;
    return tokenizer_load_post_processor(L->path, t, root, L->err);
}

int tokenizer_load(const char *path, Tokenizer **out, SwanError *err) {
    unsigned char *bytes = NULL;
    size_t len = 0;
    if (swan_read_file(path, TOKENIZER_MAX_BYTES, &bytes, &len, err) != 0) return -1;
    const char *text = (const char *)bytes;
    cJSON *root = cJSON_ParseWithLength(text, len);
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        long off = at && at >= text && at <= text + len ? (long)(at - text) : -1;
        free(bytes);
        return swan_error_set(err, "%s: not valid JSON (near byte %ld)", path, off);
    }
    free(bytes);
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
