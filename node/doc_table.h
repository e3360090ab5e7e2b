/* The documents a node rank holds caches for, whatever its role. A document
 * appears with its first chunk (position 0) and leaves with its DocEnd,
 * when the rank reports what its caches held; anything else is a protocol
 * error. In-flight documents are few, so a linear table is enough. */
#ifndef SWAN_DOC_TABLE_H
#define SWAN_DOC_TABLE_H

#include <stdint.h>

#include "forward.h"

typedef struct {
    uint64_t doc;
    int used;
    DocCaches caches;
    long pipe_bytes_sent, shard_bytes_sent;
} NodeDoc;

typedef struct {
    const SwanConfig *cfg;
    int layer_begin, layer_end;
    NodeDoc *docs; /* owned */
    int ndocs;
} DocTable;

void doc_table_init(DocTable *t, const SwanConfig *cfg, int layer_begin, int layer_end);
void doc_table_free(DocTable *t);
/* The document's entry, made with empty caches when pos0 is 0; a document
 * seen first past its start ends the job. */
NodeDoc *doc_table_get(DocTable *t, uint64_t doc, long pos0, int src);
/* Sends rank 0 the document's DocStats (zeros when this rank never held a
 * position of it) and frees its caches. */
void doc_table_end(DocTable *t, uint64_t doc, int rank);

#endif
