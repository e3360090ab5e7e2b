#include "fuzz_documents.h"

#include <stdlib.h>
#include <string.h>

#include "documents.h"
#include "fuzz_file.h"

/* --resume's callback: a done document is one whose id starts with 'd'. */
static int skip_some(void *ctx, const char *id) {
    (void)ctx;
    return id[0] == 'd';
}

static void check(const Document *d, int vocab) {
    if (!d->id || d->ntokens < 2 || !d->tokens) abort();
    for (long i = 0; i < d->ntokens; i++)
        if (d->tokens[i] < 0 || d->tokens[i] >= vocab) abort();
}

int fuzz_documents(const char *name, const uint8_t *data, size_t size) {
    static Tokenizer *bytes, *bpe;
    SwanError err;
    if (!bytes && (tokenizer_bytes(&bytes, &err) != 0 ||
                   tokenizer_load(SWAN_FUZZ_GPT2_TOKENIZER, &bpe, &err) != 0))
        abort();
    if (size == 0) return 0;
    int mode = data[0];
    char *path = strdup(fuzz_write(name, data + 1, size - 1));
    if (!path) abort();
    int vocab = mode & 2 ? 4096 : 200;
    DocReaderOptions o = {mode & 1 ? bpe : bytes,      !(mode & 1), vocab,
                          mode & 4 ? skip_some : NULL, NULL,        mode & 8 ? 1 : 0};
    DocReader r;
    doc_reader_init(&r, &path, 1, &o);
    Document d;
    int rc;
    while ((rc = doc_reader_next(&r, &d)) != 0)
        if (rc > 0) {
            check(&d, vocab);
            document_free(&d);
        }
    doc_reader_free(&r);
    free(path);
    return 0;
}
