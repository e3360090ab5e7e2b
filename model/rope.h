/* Rotary position encoding, rotate-half convention (Hugging Face Llama):
 * for i < hd/2, (x_i, x_{i+hd/2}) is rotated by the angle p * theta^(-2i/hd).
 * Angles are formed in double: at p ~ 1e5 an f32 angle is off by ~1e-2 rad,
 * which a long document would see as noise in every window layer. */
#ifndef SWAN_ROPE_H
#define SWAN_ROPE_H

#include "config.h"

typedef struct {
    int head_dim;
    double theta;
    int interleaved;  /* 1: pairs (2i, 2i+1), Cohere's; 0: (i, i + hd/2) */
    int rows;         /* positions currently in the table */
    int cap;          /* positions allocated */
    double *inv_freq; /* [head_dim / 2], owned */
    float *cos_sin;   /* [cap][head_dim]: cos of each pair, then sin; owned */
} RopeTable;

/* inv_freq of pair i: theta^(-2i/head_dim), stretched by rope_scaling
 * (NULL or ROPE_SCALING_NONE: plain). */
double rope_inv_freq(double theta, const RopeScaling *scaling, int head_dim, int i);

int rope_table_init(RopeTable *t, int head_dim, double theta, const RopeScaling *scaling, int max_rows);
/* Pair (2i, 2i+1) instead of (i, i + hd/2) from now on. */
void rope_table_interleave(RopeTable *t, int interleaved);
void rope_table_free(RopeTable *t);

/* Fills the table for positions pos0 .. pos0 + n - 1 (n <= cap). */
void rope_table_fill(RopeTable *t, long pos0, int n);

/* Rotates nheads heads of each of n rows in place; row r's heads start at
 * x + r * row_stride, head h at + h * head_dim; row r has position pos0 + r
 * of the table. */
void rope_apply(const RopeTable *t, float *x, int n, int row_stride, int nheads);

#endif
