/* The post_processor of a tokenizer.json: the tokens Hugging Face's
 * encode(text) adds around one sequence when add_special_tokens is on (its
 * default): Llama 3's BOS, Command R's <BOS_TOKEN>.
 *
 * Supported: null; ByteLevel (it changes offsets only, never ids);
 * TemplateProcessing, whose "single" template is special tokens, $A once,
 * special tokens ("pair" is for two sequences, which swan never encodes);
 * a Sequence of those with at most one template. Anything else is refused:
 * ids that silently lack a BOS the model was trained with would score badly
 * without any error. */
#include <cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer_impl.h"

typedef struct {
    const char *path;
    Tokenizer *t;
    SwanError *err;
    int templates; /* how many TemplateProcessing steps were read */
} Post;

static const char *type_of(const cJSON *obj) {
    const cJSON *ty = cJSON_GetObjectItemCaseSensitive(obj, "type");
    return cJSON_IsString(ty) ? ty->valuestring : "(no type)";
}

/* Appends the ids of special token `name` (from the template's
 * special_tokens map) to *ids. */
static int add_special(Post *P, const cJSON *specials, const char *name, int **ids, size_t *n) {
    const cJSON *entry = cJSON_GetObjectItemCaseSensitive(specials, name);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(entry, "ids"), *it;
    if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) < 1)
        return swan_error_set(P->err, "%s: post_processor: special token '%s' has no ids", P->path,
                              name);
    cJSON_ArrayForEach(it, list) {
        double v = cJSON_IsNumber(it) ? it->valuedouble : -1;
        if (v < 0 || v >= P->t->nids || v != (double)(int)v || P->t->tok_len[(int)v] == UINT32_MAX)
            return swan_error_set(P->err,
                                  "%s: post_processor: special token '%s' has an id outside the "
                                  "vocabulary",
                                  P->path, name);
        int *grown = realloc(*ids, (*n + 1) * sizeof **ids);
        if (!grown) return swan_error_set(P->err, "%s: out of memory", P->path);
        *ids = grown;
        (*ids)[(*n)++] = (int)v;
    }
    return 0;
}

/* One piece of the single template: {"SpecialToken": {"id": NAME}} or
 * {"Sequence": {"id": "A"}}. *seen_a says whether $A came already. */
static int template_piece(Post *P, const cJSON *piece, const cJSON *specials, int *seen_a) {
    Tokenizer *t = P->t;
    const cJSON *special = cJSON_GetObjectItemCaseSensitive(piece, "SpecialToken");
    const cJSON *seq = cJSON_GetObjectItemCaseSensitive(piece, "Sequence");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(special ? special : seq, "id");
    if (!cJSON_IsString(id))
        return swan_error_set(P->err,
                              "%s: post_processor: a template piece is neither SpecialToken nor "
                              "Sequence",
                              P->path);
    if (special)
        return *seen_a ? add_special(P, specials, id->valuestring, &t->suffix, &t->nsuffix)
                       : add_special(P, specials, id->valuestring, &t->prefix, &t->nprefix);
    if (strcmp(id->valuestring, "A") != 0 || *seen_a)
        return swan_error_set(P->err,
                              "%s: post_processor: the single template must hold $A once (and no "
                              "$B)",
                              P->path);
    *seen_a = 1;
    return 0;
}

static int load_template(Post *P, const cJSON *p) {
    const cJSON *single = cJSON_GetObjectItemCaseSensitive(p, "single");
    const cJSON *specials = cJSON_GetObjectItemCaseSensitive(p, "special_tokens"), *piece;
    int seen_a = 0;
    if (P->templates++)
        return swan_error_set(P->err, "%s: post_processor: more than one TemplateProcessing", P->path);
    if (!cJSON_IsArray(single))
        return swan_error_set(P->err, "%s: post_processor TemplateProcessing has no 'single' template",
                              P->path);
    cJSON_ArrayForEach(piece, single) {
        if (template_piece(P, piece, specials, &seen_a) != 0) return -1;
    }
    if (!seen_a)
        return swan_error_set(P->err, "%s: post_processor: the single template has no $A", P->path);
    return 0;
}

static int load_step(Post *P, const cJSON *p) {
    const char *type = type_of(p);
    if (!strcmp(type, "ByteLevel")) return 0;
    if (!strcmp(type, "TemplateProcessing")) return load_template(P, p);
    return swan_error_set(P->err, "%s: post_processor '%s' is not supported", P->path, type);
}

int tokenizer_load_post_processor(const char *path, Tokenizer *t, const cJSON *root, SwanError *err) {
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(root, "post_processor"), *step;
    Post P = {path, t, err, 0};
    if (!p || cJSON_IsNull(p)) return 0;
    if (strcmp(type_of(p), "Sequence") != 0) return load_step(&P, p);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(p, "processors");
    if (!cJSON_IsArray(list))
        return swan_error_set(err, "%s: post_processor Sequence has no 'processors' list", path);
    cJSON_ArrayForEach(step, list) {
        if (load_step(&P, step) != 0) return -1;
    }
    return 0;
}
