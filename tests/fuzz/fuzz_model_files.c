/* Any bytes as a model's files. The first input byte picks which file the
 * rest becomes, beside a valid copy of the other: config.json (with the
 * fixture's model.safetensors) or model.safetensors (with the fixture's
 * config.json). Loading either refuses with a message or gives a model. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_file.h"
#include "model.h"

static uint8_t *slurp(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) abort();
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) abort();
    fclose(f);
    *size = (size_t)n;
    return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static uint8_t *config, *weights;
    static size_t config_size, weights_size;
    if (!config) {
        config = slurp(SWAN_FUZZ_MODEL "/config.json", &config_size);
        weights = slurp(SWAN_FUZZ_MODEL "/model.safetensors", &weights_size);
    }
    if (size == 0) return 0;
    int fuzz_config = data[0] & 1;
    fuzz_write("config.json", fuzz_config ? data + 1 : config, fuzz_config ? size - 1 : config_size);
    fuzz_write("model.safetensors", fuzz_config ? weights : data + 1,
               fuzz_config ? weights_size : size - 1);
    SwanModel m;
    SwanError err;
    if (swan_model_load(&m, fuzz_dir(), 0, -1, 1, 1, &err) != 0) {
        if (!err.msg[0]) abort();
        return 0;
    }
    swan_model_free(&m);
    return 0;
}
