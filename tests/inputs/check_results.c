/* check_results: reads swan score's result lines.
 *   check_results ids FILE          prints each line's id, in file order
 *   check_results intact FILE       every complete line is a whole result; a
 *                                   torn last line (no newline) is reported
 *   check_results same A B          the same documents (ids, a multiset) with
 *                                   the same tokens, nll_sum and nll_by_pos
 *   check_results same-values A B   line by line, ignoring ids
 * Timing and per-rank fields (seconds, tokens_per_s, ranks) are ignored. NLL
 * values may differ by float rounding: |dNLL| <= 1e-4 per token. */
#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NLL_TOL 1e-4

typedef struct {
    cJSON **v;
    size_t n, cap;
    int torn; /* the file ends in a line without newline */
} Lines;

static void free_lines(Lines *l) {
    for (size_t i = 0; i < l->n; i++) cJSON_Delete(l->v[i]);
    free(l->v);
}

static int push(Lines *l, cJSON *o) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 32;
        cJSON **v = realloc(l->v, sizeof *v * cap);
        if (!v) return -1;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = o;
    return 0;
}

/* A whole result: an object with the fields a reader relies on. */
static int is_result(const cJSON *o) {
    return cJSON_IsObject(o) && cJSON_IsString(cJSON_GetObjectItem(o, "id")) &&
           cJSON_IsNumber(cJSON_GetObjectItem(o, "tokens")) &&
           cJSON_IsNumber(cJSON_GetObjectItem(o, "nll_sum")) &&
           cJSON_IsArray(cJSON_GetObjectItem(o, "nll_by_pos"));
}

static int read_lines(const char *path, Lines *l) {
    memset(l, 0, sizeof *l);
    FILE *f = fopen(path, "r");
    if (!f) {
        printf("FAIL: cannot open %s\n", path);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long no = 0;
    int rc = 0;
    while (rc == 0 && (len = getline(&line, &cap, f)) > 0) {
        no++;
        if (line[len - 1] != '\n') {
            l->torn = 1;
            printf("%s: torn last line (%zd bytes, no newline)\n", path, len);
            break;
        }
        cJSON *o = cJSON_ParseWithLength(line, (size_t)len);
        if (!is_result(o) || push(l, o) != 0) {
            printf("FAIL: %s:%ld is not a complete result line\n", path, no);
            cJSON_Delete(o);
            rc = -1;
        }
    }
    free(line);
    fclose(f);
    if (rc != 0) free_lines(l);
    return rc;
}

static const char *id_of(const cJSON *o) {
    return cJSON_GetObjectItem(o, "id")->valuestring;
}

static double num(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItem(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static int compare_by_id(const void *a, const void *b) {
    int c = strcmp(id_of(*(cJSON *const *)a), id_of(*(cJSON *const *)b));
    if (c) return c;
    double x = num(*(cJSON *const *)a, "nll_sum"), y = num(*(cJSON *const *)b, "nll_sum");
    return (x > y) - (x < y);
}

static int same_bins(const cJSON *a, const cJSON *b) {
    const cJSON *x = cJSON_GetObjectItem(a, "nll_by_pos"), *y = cJSON_GetObjectItem(b, "nll_by_pos");
    if (cJSON_GetArraySize(x) != cJSON_GetArraySize(y)) return 0;
    for (int i = 0; i < cJSON_GetArraySize(x); i++) {
        const cJSON *p = cJSON_GetArrayItem(x, i), *q = cJSON_GetArrayItem(y, i);
        if (num(p, "lo") != num(q, "lo") || num(p, "hi") != num(q, "hi") ||
            num(p, "n") != num(q, "n") || !(fabs(num(p, "mean_nll") - num(q, "mean_nll")) <= NLL_TOL))
            return 0;
    }
    return 1;
}

/* Same document result; names the first difference. */
static int same_result(const cJSON *a, const cJSON *b, int check_id) {
    const char *what = NULL;
    double scored = num(a, "tokens") - 1;
    if (check_id && strcmp(id_of(a), id_of(b)) != 0)
        what = "id";
    else if (num(a, "tokens") != num(b, "tokens"))
        what = "tokens";
    else if (!(fabs(num(a, "nll_sum") - num(b, "nll_sum")) <= NLL_TOL * (scored > 1 ? scored : 1)))
        what = "nll_sum";
    else if (!same_bins(a, b))
        what = "nll_by_pos";
    if (what) printf("FAIL: %s differs: %s vs %s\n", what, id_of(a), id_of(b));
    return what == NULL;
}

static int cmd_same(const char *pa, const char *pb, int by_id) {
    Lines a, b;
    if (read_lines(pa, &a) != 0) return 1;
    if (read_lines(pb, &b) != 0) {
        free_lines(&a);
        return 1;
    }
    int ok = !a.torn && !b.torn;
    if (!ok) printf("FAIL: a torn line\n");
    if (a.n != b.n) {
        printf("FAIL: %zu lines in %s, %zu in %s\n", a.n, pa, b.n, pb);
        ok = 0;
    }
    if (by_id) {
        qsort(a.v, a.n, sizeof *a.v, compare_by_id);
        qsort(b.v, b.n, sizeof *b.v, compare_by_id);
    }
    for (size_t i = 0; ok && i < a.n; i++) ok = same_result(a.v[i], b.v[i], by_id);
    if (ok) printf("ok: the same %zu results\n", a.n);
    free_lines(&a);
    free_lines(&b);
    return ok ? 0 : 1;
}

/* ids: a torn last line fails (a finished run leaves none); intact: it is
 * allowed (a killed run may leave one), the complete lines must be whole. */
static int cmd_lines(const char *mode, const char *path) {
    Lines l;
    if (read_lines(path, &l) != 0) return 1;
    int ids = !strcmp(mode, "ids");
    for (size_t i = 0; ids && i < l.n; i++) printf("%s\n", id_of(l.v[i]));
    if (!ids) printf("ok: %zu complete result lines\n", l.n);
    int rc = ids && l.torn ? 1 : 0;
    free_lines(&l);
    return rc;
}

int main(int argc, char **argv) {
    if (argc == 3 && (!strcmp(argv[1], "ids") || !strcmp(argv[1], "intact")))
        return cmd_lines(argv[1], argv[2]);
    if (argc == 4 && !strcmp(argv[1], "same")) return cmd_same(argv[2], argv[3], 1);
    if (argc == 4 && !strcmp(argv[1], "same-values")) return cmd_same(argv[2], argv[3], 0);
    fprintf(stderr, "usage: check_results ids|intact FILE | same|same-values A B\n");
    return 2;
}
