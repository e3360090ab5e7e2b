/* Unicode NFC (UAX #15) the way the reference tokenizer computes it:
 * canonical decomposition, canonical ordering (a stable sort of each run of
 * non-starters by combining class), canonical composition. The data is
 * generated (unicode_rust_tables.c); Hangul syllables are arithmetic.
 *
 * Most text is already NFC, and nearly all of it is made of "quick"
 * characters (unicode_normalize.h), so the text is walked once, and only the
 * stretches around other characters are decomposed and composed again: each
 * such chunk runs from the quick character before it (which may compose
 * with what follows, e + U+0301) to the next quick character. ASCII never
 * leaves the first loop, and text found to be NFC is not copied at all. */
#include "unicode_normalize.h"

#include <stdlib.h>
#include <string.h>

#include "utf8.h"

/* Hangul syllable arithmetic (The Unicode Standard, section 3.12). */
enum {
    S_BASE = 0xAC00,
    L_BASE = 0x1100,
    V_BASE = 0x1161,
    T_BASE = 0x11A7,
    L_COUNT = 19,
    V_COUNT = 21,
    T_COUNT = 28,
    N_COUNT = V_COUNT * T_COUNT,
    S_COUNT = L_COUNT * N_COUNT
};

/* Runs of non-starters longer than this are sorted by counting, so that a
 * pathological text of thousands of marks stays linear. */
#define INSERTION_MAX 32

typedef struct {
    unsigned char *out; /* the normalized text so far */
    size_t len, cap;
    uint32_t *cps; /* the chunk being normalized, as code points */
    size_t ncps, cps_cap;
    uint32_t *tmp; /* scratch for the counting sort */
    size_t tmp_cap;
} Nfc;

static int reserve(void **buf, size_t *cap, size_t need, size_t size) {
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 256;
    while (c < need) c *= 2;
    void *p = realloc(*buf, c * size);
    if (!p) return -1;
    *buf = p;
    *cap = c;
    return 0;
}

static int put_bytes(Nfc *z, const unsigned char *b, size_t n) {
    if (!n) return 0; /* z->out may still be NULL */
    if (reserve((void **)&z->out, &z->cap, z->len + n, 1) != 0) return -1;
    memcpy(z->out + z->len, b, n);
    z->len += n;
    return 0;
}

static int push_cp(Nfc *z, uint32_t cp) {
    if (reserve((void **)&z->cps, &z->cps_cap, z->ncps + 1, sizeof *z->cps) != 0) return -1;
    z->cps[z->ncps++] = cp;
    return 0;
}

static int decompose(Nfc *z, uint32_t cp) {
    if (cp >= S_BASE && cp < S_BASE + S_COUNT) {
        uint32_t s = cp - S_BASE;
        if (push_cp(z, L_BASE + s / N_COUNT) != 0 || push_cp(z, V_BASE + (s % N_COUNT) / T_COUNT) != 0)
            return -1;
        return s % T_COUNT ? push_cp(z, T_BASE + s % T_COUNT) : 0;
    }
    const uint32_t *d;
    size_t k = unicode_decomposition(cp, &d);
    if (!k) return push_cp(z, cp);
    for (size_t i = 0; i < k; i++)
        if (push_cp(z, d[i]) != 0) return -1;
    return 0;
}

/* Stable sort of c[0..n) (non-starters) by combining class. */
static int sort_run(Nfc *z, uint32_t *c, size_t n) {
    if (n <= INSERTION_MAX) {
        for (size_t i = 1; i < n; i++) {
            uint32_t x = c[i];
            int k = unicode_ccc(x);
            size_t j = i;
            for (; j > 0 && unicode_ccc(c[j - 1]) > k; j--) c[j] = c[j - 1];
            c[j] = x;
        }
        return 0;
    }
    if (reserve((void **)&z->tmp, &z->tmp_cap, n, sizeof *z->tmp) != 0) return -1;
    size_t count[257] = {0};
    for (size_t i = 0; i < n; i++) count[unicode_ccc(c[i]) + 1]++;
    for (int k = 1; k < 257; k++) count[k] += count[k - 1];
    for (size_t i = 0; i < n; i++) z->tmp[count[unicode_ccc(c[i])]++] = c[i];
    memcpy(c, z->tmp, n * sizeof *c);
    return 0;
}

/* Canonical ordering of the whole chunk. */
static int reorder(Nfc *z) {
    size_t i = 0, n = z->ncps;
    while (i < n) {
        if (unicode_ccc(z->cps[i]) == 0) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && unicode_ccc(z->cps[j]) != 0) j++;
        if (j - i > 1 && sort_run(z, z->cps + i, j - i) != 0) return -1;
        i = j;
    }
    return 0;
}

static uint32_t compose(uint32_t a, uint32_t b) {
    if (a >= L_BASE && a < L_BASE + L_COUNT && b >= V_BASE && b < V_BASE + V_COUNT)
        return S_BASE + ((a - L_BASE) * V_COUNT + (b - V_BASE)) * T_COUNT;
    if (a >= S_BASE && a < S_BASE + S_COUNT && (a - S_BASE) % T_COUNT == 0 && b > T_BASE &&
        b < T_BASE + T_COUNT)
        return a + (b - T_BASE);
    return unicode_compose_pair(a, b);
}

/* Canonical composition in place: each character joins the last starter
 * when nothing between them blocks it (a starter, or a class >= its own;
 * after ordering, the last character kept holds the largest class). */
static void recompose(Nfc *z) {
    uint32_t *c = z->cps;
    size_t kept = 0, starter = SIZE_MAX;
    int last = 0;
    for (size_t i = 0; i < z->ncps; i++) {
        int k = unicode_ccc(c[i]);
        int reachable = starter != SIZE_MAX && (kept - 1 == starter || (last != 0 && last < k));
        uint32_t joined = reachable ? compose(c[starter], c[i]) : 0;
        if (joined) {
            c[starter] = joined;
            continue;
        }
        if (k == 0) starter = kept;
        last = k;
        c[kept++] = c[i];
    }
    z->ncps = kept;
}

/* NFC of one chunk s[0..n) of valid UTF-8, appended to the output. */
static int normalize_chunk(Nfc *z, const unsigned char *s, size_t n) {
    z->ncps = 0;
    for (size_t i = 0, len; i < n; i += len)
        if (decompose(z, utf8_decode(s, i, &len)) != 0) return -1;
    if (reorder(z) != 0) return -1;
    recompose(z);
    if (reserve((void **)&z->out, &z->cap, z->len + 4 * z->ncps, 1) != 0) return -1;
    for (size_t i = 0; i < z->ncps; i++) z->len += utf8_encode(z->cps[i], z->out + z->len);
    return 0;
}

/* From pos, skips quick characters and invalid bytes; returns where the
 * first other character is (n if none) and in *chunk where its chunk
 * starts: the quick character just before it, if there is one. */
static size_t quick_run(const unsigned char *s, size_t n, size_t pos, size_t *chunk) {
    size_t i = pos, last = SIZE_MAX; /* the quick character just before i */
    while (i < n) {
        if (s[i] < 0x80) {
            last = i++;
            continue;
        }
        size_t len = utf8_valid_len(s, n, i);
        if (!len) { /* an invalid byte: a hard boundary */
            last = SIZE_MAX;
            i++;
            continue;
        }
        if (!unicode_nfc_quick(utf8_decode(s, i, &len))) break;
        last = i;
        i += len;
    }
    *chunk = last != SIZE_MAX ? last : i;
    return i;
}

/* End of the chunk whose first other character is at i: the next quick
 * character, invalid byte, or the end of the text. */
static size_t chunk_end(const unsigned char *s, size_t n, size_t i) {
    size_t len = utf8_valid_len(s, n, i);
    for (i += len; i < n; i += len) {
        if (!(len = utf8_valid_len(s, n, i))) break;
        if (unicode_nfc_quick(utf8_decode(s, i, &len))) break;
    }
    return i;
}

int unicode_nfc(const unsigned char *s, size_t n, unsigned char **out, size_t *out_len) {
    Nfc z = {0};
    size_t pos = 0;
    int rc = 0;
    *out = NULL;
    *out_len = n;
    while (pos < n && rc == 0) {
        size_t chunk, other = quick_run(s, n, pos, &chunk);
        if (other == n) {
            if (pos == 0) return 0; /* already NFC: nothing copied */
            rc = put_bytes(&z, s + pos, n - pos);
            break;
        }
        size_t end = chunk_end(s, n, other);
        rc = put_bytes(&z, s + pos, chunk - pos);
        if (rc == 0) rc = normalize_chunk(&z, s + chunk, end - chunk);
        pos = end;
    }
    free(z.cps);
    free(z.tmp);
    if (rc != 0 || !z.out) { /* z.out is NULL only for an empty result */
        free(z.out);
        if (rc != 0) return -1;
        z.out = malloc(1);
        if (!z.out) return -1;
    }
    *out = z.out;
    *out_len = z.len;
    return 0;
}
