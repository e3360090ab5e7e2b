/* Envelope builders and the frame-size limit: what both sides of the wire
 * must agree on, kept next to the framing. */
#include "wire.h"

size_t wire_frame_limit(const SwanConfig *cfg, int max_chunk) {
    size_t C = (size_t)max_chunk, d = cfg->hidden_size, H = cfg->num_heads;
    size_t hd = cfg->head_dim, KV = cfg->num_kv_heads, V = cfg->vocab_size;
    /* Payload bytes of each message kind at its largest; varints and tags
     * take at most 10 bytes a number. */
    size_t activation = C * d * 4 + C * 2 * 10;
    size_t work = C * H * hd * 4 + 2 * C * KV * hd * 4 + C * 10;
    size_t partial = C * H * (hd + 2) * 4;
    size_t result = C * 9 + V * 4;
    size_t biggest = activation;
    if (work > biggest) biggest = work;
    if (partial > biggest) biggest = partial;
    if (result > biggest) biggest = result;
    return biggest + 65536;
}

void wire_wrap(Swan__Envelope *env, Swan__Envelope__BodyCase c, void *body) {
    swan__envelope__init(env);
    env->body_case = c;
    switch (c) {
    case SWAN__ENVELOPE__BODY_SETUP: env->setup = body; break;
    case SWAN__ENVELOPE__BODY_READY: env->ready = body; break;
    case SWAN__ENVELOPE__BODY_DOC_END: env->doc_end = body; break;
    case SWAN__ENVELOPE__BODY_ACTIVATION: env->activation = body; break;
    case SWAN__ENVELOPE__BODY_SHARD_WORK: env->shard_work = body; break;
    case SWAN__ENVELOPE__BODY_SHARD_PARTIAL: env->shard_partial = body; break;
    case SWAN__ENVELOPE__BODY_CHUNK_RESULT: env->chunk_result = body; break;
    case SWAN__ENVELOPE__BODY_ERROR: env->error = body; break;
    case SWAN__ENVELOPE__BODY_SHUTDOWN: env->shutdown = body; break;
    case SWAN__ENVELOPE__BODY_DOC_STATS: env->doc_stats = body; break;
    case SWAN__ENVELOPE__BODY_RESCALE: env->rescale = body; break;
    case SWAN__ENVELOPE__BODY_PING: env->ping = body; break;
    case SWAN__ENVELOPE__BODY_PONG: env->pong = body; break;
    default: env->body_case = SWAN__ENVELOPE__BODY__NOT_SET; break;
    }
}

static void send_or_die(Swan__Envelope *env, int dest, int tag) {
    SwanError err;
    if (wire_send(env, dest, tag, &err) != 0) wire_fatal(err.msg);
}

void wire_send_doc_end(uint64_t doc, int dest, int tag) {
    Swan__DocEnd e = SWAN__DOC_END__INIT;
    e.doc = doc;
    Swan__Envelope env;
    wire_wrap(&env, SWAN__ENVELOPE__BODY_DOC_END, &e);
    send_or_die(&env, dest, tag);
}

void wire_send_shutdown(int dest) {
    Swan__Shutdown s = SWAN__SHUTDOWN__INIT;
    Swan__Envelope env;
    wire_wrap(&env, SWAN__ENVELOPE__BODY_SHUTDOWN, &s);
    send_or_die(&env, dest, TAG_PIPE);
}
