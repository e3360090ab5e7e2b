/* Any bytes from a peer: wire_decode either refuses them with a message or
 * gives an envelope whose tensors are then checked against the shapes a
 * node expects before being read. Nothing may crash or read out of bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

static void read_checked(const Swan__Tensor *t, int ndim, const int64_t *shape) {
    SwanError err;
    if (wire_tensor_check(t, ndim, shape, 1, "tensor", &err) != 0) {
        if (!err.msg[0]) abort(); /* a refusal always says why */
        return;
    }
    size_t n = 1;
    for (int i = 0; i < ndim; i++) n *= (size_t)shape[i];
    float *x = malloc(sizeof(float) * (n ? n : 1));
    if (!x) return;
    wire_tensor_read(t, x);
    free(x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    Swan__Envelope *env = NULL;
    SwanError err;
    if (wire_decode(data, size, 1 << 16, 1, &env, &err) != 0) {
        if (!err.msg[0]) abort();
        return 0;
    }
    const Swan__Tensor *tensors[3] = {NULL, NULL, NULL};
    if (env->body_case == SWAN__ENVELOPE__BODY_ACTIVATION) tensors[0] = env->activation->x;
    if (env->body_case == SWAN__ENVELOPE__BODY_SHARD_WORK) {
        tensors[0] = env->shard_work->q, tensors[1] = env->shard_work->k,
        tensors[2] = env->shard_work->v;
    }
    if (env->body_case == SWAN__ENVELOPE__BODY_SHARD_PARTIAL) {
        tensors[0] = env->shard_partial->o, tensors[1] = env->shard_partial->m;
        tensors[2] = env->shard_partial->l;
    }
    for (int k = 0; k < 3; k++) {
        const Swan__Tensor *t = tensors[k];
        if (!t) continue;
        /* The sender's own claim of the shape, and a fixed one. */
        int64_t claimed[4] = {0}, fixed[2] = {2, 3};
        int ndim = t->n_shape <= 4 ? (int)t->n_shape : 4;
        for (int i = 0; i < ndim; i++)
            claimed[i] = t->shape[i] >= 0 && t->shape[i] < 4096 ? t->shape[i] : 0;
        read_checked(t, ndim, claimed);
        read_checked(t, 2, fixed);
    }
    swan__envelope__free_unpacked(env, NULL);
    return 0;
}
