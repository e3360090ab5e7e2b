/* Picking the next token from logits: greedy at temperature 0, else
 * softmax(logits / T) cut to the smallest set whose mass reaches top_p.
 * The random stream depends only on the seed, so the same seed gives the
 * same text wherever the logits were computed. */
#ifndef SWAN_SAMPLER_H
#define SWAN_SAMPLER_H

#include <stdint.h>

typedef struct {
    double prob;
    int id;
} SamplerCandidate;

typedef struct {
    double temperature;
    double top_p;
    uint64_t state;
    int vocab_size;
    SamplerCandidate *cand; /* [V] scratch, owned */
} Sampler;

int sampler_init(Sampler *s, int vocab_size, double temperature, double top_p, uint64_t seed);
void sampler_free(Sampler *s);
int sampler_pick(Sampler *s, const float *logits);

#endif
