/* What a rank's memory will need, known before a document starts: its
 * K/V caches at the document's length (window rings, its share of the
 * global pages) and the chunk scratch it holds whatever the document. The
 * figures follow kv_cache.c's and forward.c's allocation rules, rounded up
 * where those depend on how the document is cut, so a document that passes
 * the memory guard does not meet the OOM killer. */
#ifndef SWAN_MEMORY_NEED_H
#define SWAN_MEMORY_NEED_H

#include <stddef.h>

#include "config.h"

/* Bytes the caches of layers [layer_begin, layer_end) hold for one document
 * of n tokens on group rank group_index of group_size (0 leads: it alone
 * keeps the window rings; every group rank keeps its pages of the global
 * layers). */
double need_doc_bytes(const SwanConfig *cfg, int layer_begin, int layer_end, long n, int group_size,
                      int group_index);

/* Chunk scratch of a stage leader: the forward pass, the LM head on the
 * last stage, the leader's buffers and, in a group, the shard exchange. */
double need_leader_scratch_bytes(const SwanConfig *cfg, int max_chunk, int has_head, int group_size,
                                 int workers);
/* Chunk scratch of a shard member. */
double need_member_scratch_bytes(const SwanConfig *cfg, int max_chunk);

/* Longest document whose caches fit in budget bytes on that rank: -1 when
 * not even an empty one does, NEED_ANY_LENGTH when every length does. */
#define NEED_ANY_LENGTH (1L << 62)
long need_longest_doc(const SwanConfig *cfg, int layer_begin, int layer_end, int group_size,
                      int group_index, double budget);

#endif
