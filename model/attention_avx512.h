/* The fused attention kernel for query tiles of many rows, where the CPU
 * has AVX-512; attention.c falls back to sgemm-based tiles elsewhere. */
#ifndef SWAN_ATTENTION_AVX512_H
#define SWAN_ATTENTION_AVX512_H

#include <stddef.h>

#include "attention.h"

/* Adds to `a` the attention of queries [t0, t0 + nt) of q over keys
 * [lo, hi] of seg, key tile by key tile as attn_accumulate does. -1 (and
 * nothing done) when the tile needs more than scratch_floats of scratch. */
typedef int (*AttnQueryTile)(AttnAcc *a, const AttnQueries *q, const KvSegment *seg, int t0, int nt,
                             long lo, long hi, float *scratch, size_t scratch_floats);

/* The exact kernel, or with bf16 set the fast mode's (scores from pairs of
 * bf16 by vdpbf16ps); NULL where the CPU lacks the instructions. */
AttnQueryTile attn_query_tile_avx512(int bf16);

#endif
