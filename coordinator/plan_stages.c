/* --stages: "a-b,c-d,..." read into the cuts the planner must keep. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "planner_impl.h"
/* One decimal layer index at *s; -1 (and *s unmoved) if none. */
static long parse_index(const char **s) {
    if (**s < '0' || **s > '9') return -1;
    char *end;
    errno = 0;
    long v = strtol(*s, &end, 10);
    if (errno) v = LONG_MAX;
    *s = end;
    return v;
}

static int parse_range(const char **s, const char *spec, long *a, long *b, SwanError *err) {
    *a = parse_index(s);
    *b = *a;
    if (*a >= 0 && **s == '-') {
        (*s)++;
        *b = parse_index(s);
    }
    if (*a >= 0 && *b >= 0 && (!**s || **s == ',')) return 0;
    if (!**s)
        return swan_error_set(err,
                              "--stages '%s': cannot read a layer range: it ends "
                              "early (expected e.g. 0-3,4-7)",
                              spec);
    return swan_error_set(err,
                          "--stages '%s': cannot read a layer range at character "
                          "%d '%c' (expected e.g. 0-3,4-7)",
                          spec, (int)(*s - spec) + 1, **s);
}

/* "a-b,c-d,..." (inclusive, single "5" allowed) -> fixed_end[begin] = end. */
int plan_parse_stages(const char *spec, int L, int *fixed_end, SwanError *err) {
    if (!*spec) return swan_error_set(err, "--stages is empty");
    const char *s = spec;
    long next = 0;
    int n = 0;
    for (;;) {
        long a, b;
        if (parse_range(&s, spec, &a, &b, err)) return -1;
        if (a > b) return swan_error_set(err, "--stages: range %ld-%ld runs backwards", a, b);
        if (b >= L)
            return swan_error_set(err,
                                  "--stages: layer %ld is out of range (the model "
                                  "has %d layers, 0-%d)",
                                  b, L, L - 1);
        if (a < next)
            return swan_error_set(err,
                                  "--stages: range %ld-%ld overlaps layers already "
                                  "staged (0-%ld); stages go in layer order",
                                  a, b, next - 1);
        if (a > next)
            return swan_error_set(err,
                                  "--stages: layers %ld-%ld are in no stage "
                                  "(gap before %ld-%ld)",
                                  next, a - 1, a, b);
        if (++n > PLAN_MAX_STAGES)
            return swan_error_set(err, "--stages: more than %d stages", PLAN_MAX_STAGES);
        fixed_end[a] = (int)b + 1;
        next = b + 1;
        if (!*s) break;
        s++;
    }
    if (next < L)
        return swan_error_set(err,
                              "--stages: layers %ld-%d are in no stage (the model "
                              "has %d layers)",
                              next, L - 1, L);
    return 0;
}
