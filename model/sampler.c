#include "sampler.h"

#include <math.h>
#include <stdlib.h>

int sampler_init(Sampler *s, int vocab_size, double temperature, double top_p, uint64_t seed) {
    s->temperature = temperature;
    s->top_p = top_p;
    s->state = seed;
    s->vocab_size = vocab_size;
    s->cand = malloc(sizeof *s->cand * (size_t)vocab_size);
    if (!s->cand) {
        sampler_free(s);
        return -1;
    }
    return 0;
}

void sampler_free(Sampler *s) {
    free(s->cand);
    s->cand = NULL;
}

/* splitmix64: a full-period stream from any seed, no libc state */
static double next_uniform(Sampler *s) {
    uint64_t z = (s->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0; /* [0, 1) */
}

static int argmax(const float *logits, int V) {
    int best = 0;
    for (int i = 1; i < V; i++)
        if (logits[i] > logits[best]) best = i;
    return best;
}

static int by_prob_desc(const void *a, const void *b) {
    const SamplerCandidate *x = a, *y = b;
    if (x->prob != y->prob) return x->prob < y->prob ? 1 : -1;
    return x->id - y->id; /* ties by id: the order must not depend on qsort */
}

int sampler_pick(Sampler *s, const float *logits) {
    int V = s->vocab_size;
    if (s->temperature <= 0.0) return argmax(logits, V);
    double mx = logits[argmax(logits, V)], sum = 0.0;
    for (int i = 0; i < V; i++) {
        s->cand[i].prob = exp((logits[i] - mx) / s->temperature);
        s->cand[i].id = i;
        sum += s->cand[i].prob;
    }
    for (int i = 0; i < V; i++) s->cand[i].prob /= sum;
    qsort(s->cand, (size_t)V, sizeof *s->cand, by_prob_desc);
    int keep = 0;
    double mass = 0.0;
    while (keep < V && (keep == 0 || mass < s->top_p)) mass += s->cand[keep++].prob;
    double r = next_uniform(s) * mass, acc = 0.0;
    for (int k = 0; k < keep; k++) {
        acc += s->cand[k].prob;
        if (r < acc) return s->cand[k].id;
    }
    return s->cand[keep - 1].id;
}
