/* The document reader's fuzz targets (fuzz_jsonl, fuzz_u32) share this:
 * any bytes as one input file of the given name, read by the real reader
 * to the end. Every document it gives has an id and at least 2 tokens, all
 * inside the vocabulary; everything else is a message, never a crash. The
 * first byte picks the tokenizer (byte-level BPE or plain bytes), the
 * vocabulary size and whether --resume skips some ids. */
#ifndef SWAN_FUZZ_DOCUMENTS_H
#define SWAN_FUZZ_DOCUMENTS_H

#include <stddef.h>
#include <stdint.h>

int fuzz_documents(const char *name, const uint8_t *data, size_t size);

#endif
