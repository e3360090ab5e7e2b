/* Any bytes as model.safetensors.index.json beside a sharded model's real
 * config.json and three shards: loading refuses with a message or gives a
 * model whose every layer range loads too. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_file.h"
#include "model.h"

static void copy_in(const char *name) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", SWAN_FUZZ_SHARDED, name);
    FILE *f = fopen(path, "rb");
    if (!f) abort();
    static uint8_t buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    fuzz_write(name, buf, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int ready;
    if (!ready) {
        copy_in("config.json");
        copy_in("model-00001-of-00003.safetensors");
        copy_in("model-00002-of-00003.safetensors");
        copy_in("model-00003-of-00003.safetensors");
        ready = 1;
    }
    fuzz_write("model.safetensors.index.json", data, size);
    SwanModel m;
    SwanError err;
    if (swan_model_load(&m, fuzz_dir(), 0, -1, 1, 1, &err) != 0) {
        if (!err.msg[0]) abort();
        return 0;
    }
    int layers = m.cfg.num_layers;
    swan_model_free(&m);
    /* a middle stage maps only its own layers' shards */
    if (layers > 1 && swan_model_load(&m, fuzz_dir(), 1, layers, 0, 1, &err) == 0) swan_model_free(&m);
    return 0;
}
