/* Scoring one whole document in a single process: the chunk loop over
 * forward_layers and the LM head. The MPI pipeline splits the same steps
 * across ranks; this is the reference path for one rank. */
#ifndef SWAN_SCORER_H
#define SWAN_SCORER_H

#include "forward.h"
#include "head.h"

/* nll[p] for p < n - 1 is the NLL of tokens[p + 1]; chunks of at most
 * f->max_chunk tokens. caches, when not NULL, receives the document's
 * caches (caller frees with doc_caches_free) so their size can be read. */
int score_tokens(Forward *f, Head *h, const int *tokens, long n, int chunk,
                 double *nll, DocCaches *caches, SwanError *err);

#endif
