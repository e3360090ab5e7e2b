/* The documents a node rank holds caches for. A document appears with its
 * first chunk (position 0) and leaves with its DocEnd; anything else is a
 * protocol error. In-flight documents are few, so a linear table is enough. */
#include <stdio.h>
#include <stdlib.h>

#include "node.h"

static NodeDoc *find_doc(Node *n, uint64_t doc) {
    for (int i = 0; i < n->ndocs; i++)
        if (n->docs[i].used && n->docs[i].doc == doc) return &n->docs[i];
    return NULL;
}

static NodeDoc *free_slot(Node *n) {
    for (int i = 0; i < n->ndocs; i++)
        if (!n->docs[i].used) return &n->docs[i];
    NodeDoc *grown = realloc(n->docs, sizeof *grown * (size_t)(n->ndocs + 4));
    if (!grown) wire_fatal("out of memory tracking documents");
    for (int i = n->ndocs; i < n->ndocs + 4; i++) grown[i].used = 0;
    n->docs = grown;
    n->ndocs += 4;
    return &n->docs[n->ndocs - 4];
}

NodeDoc *node_doc(Node *n, uint64_t doc, long pos0) {
    NodeDoc *d = find_doc(n, doc);
    char msg[160];
    if (d) return d;
    if (pos0 != 0) {
        snprintf(msg, sizeof msg, "document %llu arrived at position %ld without its start",
                 (unsigned long long)doc, pos0);
        wire_fatal(msg);
    }
    d = free_slot(n);
    SwanError err;
    if (doc_caches_init(&d->caches, &n->model.cfg, n->layer_begin, n->layer_end, &err) != 0)
        wire_fatal(err.msg);
    d->doc = doc;
    d->used = 1;
    d->pipe_bytes_sent = d->shard_bytes_sent = 0;
    return d;
}

void node_doc_end(Node *n, uint64_t doc) {
    NodeDoc *d = find_doc(n, doc);
    if (!d) return; /* a member may never have held a position of a short document */
    doc_caches_free(&d->caches);
    d->used = 0;
}

void node_docs_free(Node *n) {
    for (int i = 0; i < n->ndocs; i++)
        if (n->docs[i].used) doc_caches_free(&n->docs[i].caches);
    free(n->docs);
    n->docs = NULL;
    n->ndocs = 0;
}

NodeDoc *node_current_doc(Node *n) {
    NodeDoc *d = find_doc(n, n->current_doc);
    if (!d) wire_fatal("no state for the document in progress");
    return d;
}
