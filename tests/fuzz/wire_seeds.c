/* wire_seeds DIR: writes one valid frame of each kind a node or the
 * coordinator receives, as seeds for fuzz_wire (random bytes seldom get
 * past the version check on their own). */
#include <stdio.h>
#include <stdlib.h>

#include "wire.h"

static int write_frame(const char *dir, const char *name, Swan__Envelope *env) {
    size_t len;
    uint8_t *buf = wire_pack(env, &len);
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    int ok = buf && f && fwrite(buf, 1, len, f) == len;
    if (f && fclose(f) != 0) ok = 0;
    free(buf);
    if (!ok) fprintf(stderr, "wire_seeds: cannot write %s\n", path);
    return ok ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: wire_seeds DIR\n");
        return 2;
    }
    float x[6] = {1, -2, 3.5f, 0, 1e-3f, 7};
    uint8_t bf16[12];
    int64_t shape[2] = {2, 3}, store[3], store2[3], store3[3];
    int32_t targets[2] = {5, -1}, tokens[2] = {1, 2};
    int64_t kv_pos[2] = {256, 257};
    double nll[2] = {1.5, 2.5};
    int bad = 0;

    Swan__Tensor t, tb, tm, tl;
    wire_tensor_f32(&t, store, 2, shape, x);
    wire_tensor_bf16(&tb, store2, 2, shape, x, bf16);
    Swan__Activation a = SWAN__ACTIVATION__INIT;
    a.doc = 3, a.pos0 = 512, a.ntok = 2, a.n_targets = 2, a.targets = targets, a.x = &t;
    Swan__Envelope env = SWAN__ENVELOPE__INIT;
    env.body_case = SWAN__ENVELOPE__BODY_ACTIVATION;
    env.activation = &a;
    bad |= write_frame(argv[1], "activation_f32", &env);
    a.x = &tb;
    bad |= write_frame(argv[1], "activation_bf16", &env);
    a.x = NULL, a.n_tokens = 2, a.tokens = tokens;
    bad |= write_frame(argv[1], "activation_tokens", &env);

    Swan__ShardWork w = SWAN__SHARD_WORK__INIT;
    w.doc = 3, w.layer = 1, w.pos0 = 256, w.ntok = 2, w.q = &t, w.k = &t, w.v = &t;
    w.n_kv_pos = 2, w.kv_pos = kv_pos;
    env.body_case = SWAN__ENVELOPE__BODY_SHARD_WORK;
    env.shard_work = &w;
    bad |= write_frame(argv[1], "shard_work", &env);

    int64_t mshape[1] = {6};
    wire_tensor_f32(&tm, store3, 1, mshape, x);
    tl = tm;
    Swan__ShardPartial p = SWAN__SHARD_PARTIAL__INIT;
    p.doc = 3, p.layer = 1, p.o = &t, p.m = &tm, p.l = &tl;
    env.body_case = SWAN__ENVELOPE__BODY_SHARD_PARTIAL;
    env.shard_partial = &p;
    bad |= write_frame(argv[1], "shard_partial", &env);

    Swan__ChunkResult r = SWAN__CHUNK_RESULT__INIT;
    r.doc = 3, r.pos0 = 0, r.n_nll = 2, r.nll = nll;
    env.body_case = SWAN__ENVELOPE__BODY_CHUNK_RESULT;
    env.chunk_result = &r;
    bad |= write_frame(argv[1], "chunk_result", &env);

    Swan__DocEnd e = SWAN__DOC_END__INIT;
    e.doc = 3;
    env.body_case = SWAN__ENVELOPE__BODY_DOC_END;
    env.doc_end = &e;
    bad |= write_frame(argv[1], "doc_end", &env);

    Swan__Rescale rs = SWAN__RESCALE__INIT;
    rs.log_a = 256;
    env.body_case = SWAN__ENVELOPE__BODY_RESCALE;
    env.rescale = &rs;
    bad |= write_frame(argv[1], "rescale", &env);

    Swan__Ping ping = SWAN__PING__INIT;
    ping.seq = 9;
    env.body_case = SWAN__ENVELOPE__BODY_PING;
    env.ping = &ping;
    bad |= write_frame(argv[1], "ping", &env);

    Swan__Pong pong = SWAN__PONG__INIT;
    pong.seq = 9, pong.rank = 2, pong.waiting_on = 3, pong.waited_seconds = 12.5;
    pong.owed = "computing its share of layer 3's attention for positions 0-127";
    env.body_case = SWAN__ENVELOPE__BODY_PONG;
    env.pong = &pong;
    bad |= write_frame(argv[1], "pong", &env);
    return bad;
}
