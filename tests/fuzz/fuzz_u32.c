/* Any bytes as a pre-tokenized input (little-endian uint32 ids). */
#include "fuzz_documents.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return fuzz_documents("input.u32", data, size);
}
