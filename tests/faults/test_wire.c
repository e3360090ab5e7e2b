/* Frames are checked before use: a truncated, oversized, wrong-version or
 * empty frame and a tensor whose shape or length lies are all refused with
 * a message naming the sender. No MPI traffic: decode works on bytes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "wire.h"

static uint8_t *activation_frame(size_t *len, float *x, int64_t *shape_store) {
    static int32_t targets[2] = {5, -1};
    Swan__Activation a = SWAN__ACTIVATION__INIT;
    a.doc = 7;
    a.ntok = 2;
    a.n_targets = 2;
    a.targets = targets;
    Swan__Tensor t;
    int64_t shape[2] = {2, 3};
    wire_tensor_f32(&t, shape_store, 2, shape, x);
    a.x = &t;
    Swan__Envelope env = SWAN__ENVELOPE__INIT;
    env.body_case = SWAN__ENVELOPE__BODY_ACTIVATION;
    env.activation = &a;
    return wire_pack(&env, len);
}

static int rejects(const uint8_t *buf, size_t len, size_t max, const char *needle) {
    Swan__Envelope *env = NULL;
    SwanError err = {{0}};
    int rc = wire_decode(buf, len, max, 4, &env, &err);
    if (rc == 0) swan__envelope__free_unpacked(env, NULL);
    int ok = rc != 0 && strstr(err.msg, needle) && strstr(err.msg, "rank 4");
    if (!ok) fprintf(stderr, "  got rc %d, message '%s'\n", rc, err.msg);
    return ok;
}

/* bf16 on the wire: round to nearest even, little-endian, NaN and infinity
 * kept; the receiver widens back to f32 exactly. */
static void check_bf16(void) {
    float x[7] = {1.0f, 1.0f + 0x1p-8f, 1.0f + 3 * 0x1p-8f, -2.5f, INFINITY, NAN, 0x1.fep-100f};
    float want[7] = {1.0f, 1.0f, 1.0f + 0x1p-6f, -2.5f, INFINITY, NAN, 0x1.fep-100f};
    uint8_t storage[14];
    int64_t shape_store[1], shape[1] = {7};
    Swan__Tensor t;
    wire_tensor_bf16(&t, shape_store, 1, shape, x, storage);
    SwanError err;
    CHECK(t.dtype == SWAN__DTYPE__DTYPE_BF16 && t.data.len == 14, "bf16 tensor: 2 bytes a value");
    CHECK(storage[0] == 0x80 && storage[1] == 0x3f, "1.0 is 0x3f80, low byte first");
    CHECK(wire_tensor_check(&t, 1, shape, 4, "activation", &err) == 0, "bf16 tensor checks: %s",
          err.msg);
    float back[7];
    wire_tensor_read(&t, back);
    for (int i = 0; i < 7; i++)
        CHECK(isnan(want[i]) ? isnan(back[i]) : back[i] == want[i], "bf16 value %d: %a -> %a, want %a",
              i, x[i], back[i], want[i]);
}

int main(void) {
    check_bf16();
    float x[6] = {1, 2, 3, 4, 5, 6};
    int64_t shape_store[2];
    size_t len;
    uint8_t *frame = activation_frame(&len, x, shape_store);

    Swan__Envelope *env = NULL;
    SwanError err;
    CHECK(wire_decode(frame, len, 1 << 20, 4, &env, &err) == 0, "a good frame decodes: %s", err.msg);
    if (env) {
        int64_t want[2] = {2, 3}, wrong[2] = {3, 2};
        float back[6];
        CHECK(wire_tensor_check(env->activation->x, 2, want, 4, "activation", &err) == 0, "shape ok");
        wire_tensor_read(env->activation->x, back);
        CHECK(!memcmp(back, x, sizeof x), "payload survives the round trip");
        CHECK(wire_tensor_check(env->activation->x, 2, wrong, 4, "activation", &err) != 0 &&
                  strstr(err.msg, "shape [2,3], expected [3,2]"),
              "wrong shape refused: %s", err.msg);
        env->activation->x->data.len -= 4;
        CHECK(wire_tensor_check(env->activation->x, 2, want, 4, "activation", &err) != 0 &&
                  strstr(err.msg, "carries 20 bytes"),
              "short payload refused: %s", err.msg);
        env->activation->x->data.len += 4;
        env->activation->x->dtype = 7;
        CHECK(wire_tensor_check(env->activation->x, 2, want, 4, "activation", &err) != 0 &&
                  strstr(err.msg, "unknown dtype"),
              "unknown dtype refused: %s", err.msg);
        swan__envelope__free_unpacked(env, NULL);
    }
    for (size_t cut = 1; cut < len; cut += 3)
        CHECK(rejects(frame, len - cut, 1 << 20, "malformed frame") ||
                  rejects(frame, len - cut, 1 << 20, "carries no message"),
              "frame cut by %zu bytes refused", cut);
    CHECK(rejects(frame, len, len - 1, "exceeds the limit"), "oversized frame refused");

    Swan__Envelope bad = SWAN__ENVELOPE__INIT;
    bad.body_case = SWAN__ENVELOPE__BODY_ACTIVATION;
    Swan__Activation a = SWAN__ACTIVATION__INIT;
    bad.activation = &a;
    bad.version = SWAN_PROTOCOL_VERSION + 1;
    size_t blen = swan__envelope__get_packed_size(&bad);
    uint8_t *bbuf = malloc(blen);
    swan__envelope__pack(&bad, bbuf);
    CHECK(rejects(bbuf, blen, 1 << 20, "protocol version 2"), "wrong version refused");
    free(bbuf);

    Swan__Envelope empty = SWAN__ENVELOPE__INIT;
    size_t elen;
    uint8_t *ebuf = wire_pack(&empty, &elen);
    CHECK(rejects(ebuf, elen, 1 << 20, "carries no message"), "empty envelope refused");
    free(ebuf);
    free(frame);
    return check_summary();
}
