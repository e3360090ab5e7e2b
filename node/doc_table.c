#include "doc_table.h"

#include <stdlib.h>

#include "process_usage.h"
#include "wire.h"

void doc_table_init(DocTable *t, const SwanConfig *cfg, int layer_begin, int layer_end) {
    *t = (DocTable){cfg, layer_begin, layer_end, NULL, 0};
}

void doc_table_free(DocTable *t) {
    for (int i = 0; i < t->ndocs; i++)
        if (t->docs[i].used) doc_caches_free(&t->docs[i].caches);
    free(t->docs);
    t->docs = NULL;
    t->ndocs = 0;
}

static NodeDoc *find_doc(DocTable *t, uint64_t doc) {
    for (int i = 0; i < t->ndocs; i++)
        if (t->docs[i].used && t->docs[i].doc == doc) return &t->docs[i];
    return NULL;
}

static NodeDoc *free_slot(DocTable *t) {
    for (int i = 0; i < t->ndocs; i++)
        if (!t->docs[i].used) return &t->docs[i];
    NodeDoc *grown = realloc(t->docs, sizeof *grown * (size_t)(t->ndocs + 4));
    if (!grown) wire_fatal("out of memory tracking documents");
    for (int i = t->ndocs; i < t->ndocs + 4; i++) grown[i].used = 0;
    t->docs = grown;
    t->ndocs += 4;
    return &t->docs[t->ndocs - 4];
}

NodeDoc *doc_table_get(DocTable *t, uint64_t doc, long pos0, int src) {
    NodeDoc *d = find_doc(t, doc);
    if (d) return d;
    if (pos0 != 0)
        wire_fatalf("document %llu arrived from rank %d at position %ld without its start",
                    (unsigned long long)doc, src, pos0);
    d = free_slot(t);
    SwanError err;
    if (doc_caches_init(&d->caches, t->cfg, t->layer_begin, t->layer_end, &err) != 0)
        wire_fatal(err.msg);
    d->doc = doc;
    d->used = 1;
    d->pipe_bytes_sent = d->shard_bytes_sent = 0;
    return d;
}

static void send_doc_stats(const DocTable *t, uint64_t doc, int rank, const NodeDoc *d) {
    Swan__DocStats s = SWAN__DOC_STATS__INIT;
    s.doc = doc;
    s.rank = rank;
    s.peak_rss_bytes = peak_rss_bytes();
    s.cpu_seconds = process_cpu_seconds();
    if (d) {
        s.window_cache_bytes = (int64_t)doc_caches_bytes(&d->caches, t->cfg, LAYER_WINDOW);
        s.global_cache_bytes = (int64_t)doc_caches_bytes(&d->caches, t->cfg, LAYER_GLOBAL);
        s.global_attention_seconds = d->caches.global_attention_seconds;
        s.pipe_bytes_sent = d->pipe_bytes_sent;
        s.shard_bytes_sent = d->shard_bytes_sent;
    }
    Swan__Envelope env;
    wire_wrap(&env, SWAN__ENVELOPE__BODY_DOC_STATS, &s);
    SwanError err;
    if (wire_send(&env, 0, TAG_COORD, &err) != 0) wire_fatal(err.msg);
}

void doc_table_end(DocTable *t, uint64_t doc, int rank) {
    NodeDoc *d = find_doc(t, doc);
    send_doc_stats(t, doc, rank, d);
    if (!d) return; /* a member may never have held a position of a short document */
    doc_caches_free(&d->caches);
    d->used = 0;
}
