/* Any bytes as a tokenizer.json: refused with a message, or loaded into a
 * tokenizer that encodes and decodes a fixed text without crashing. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_file.h"
#include "tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_write("tokenizer.json", data, size);
    Tokenizer *t = NULL;
    SwanError err;
    if (tokenizer_load(path, &t, &err) != 0) {
        if (!err.msg[0]) abort();
        return 0;
    }
    static const unsigned char text[] = "It was the best of times, \xe2\x80\x94 it was 1859.\n\xff";
    int *ids = NULL;
    size_t n = 0, len = 0;
    unsigned char *back = NULL;
    if (tokenizer_encode(t, text, sizeof text - 1, &ids, &n, &err) == 0 &&
        tokenizer_decode(t, ids, n, &back, &len, &err) == 0)
        free(back);
    free(ids);
    tokenizer_free(t);
    return 0;
}
