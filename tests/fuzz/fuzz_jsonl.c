/* Any bytes as a JSONL input (one {"id": ..., "text": ...} per line). */
#include "fuzz_documents.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return fuzz_documents("input.jsonl", data, size);
}
