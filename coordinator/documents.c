#include "documents.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

void doc_reader_init(DocReader *r, char **inputs, int ninputs, int vocab_size) {
    r->inputs = inputs;
    r->ninputs = ninputs;
    r->next = 0;
    r->vocab_size = vocab_size;
    r->seq = 0;
}

void document_free(Document *doc) {
    free(doc->id);
    free(doc->tokens);
    doc->id = NULL;
    doc->tokens = NULL;
}

/* Every byte of the file is one token. */
static int read_byte_tokens(const char *path, int **tokens, long *n) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        cli_error("%s: %s", path, strerror(errno));
        return -1;
    }
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        cli_error("%s: not a regular file", path);
        fclose(f);
        return -1;
    }
    long size = (long)sb.st_size;
    unsigned char *bytes = malloc((size_t)size + 1);
    int *ids = malloc(sizeof(int) * ((size_t)size + 1));
    int rc = 0;
    if (!bytes || !ids) {
        cli_error("%s: out of memory reading %ld bytes", path, size);
        rc = -1;
    } else if (fread(bytes, 1, (size_t)size, f) != (size_t)size) {
        cli_error("%s: read error", path);
        rc = -1;
    }
    fclose(f);
    for (long i = 0; rc == 0 && i < size; i++) ids[i] = bytes[i];
    free(bytes);
    if (rc != 0) {
        free(ids);
        return -1;
    }
    *tokens = ids;
    *n = size;
    return 0;
}

int doc_reader_next(DocReader *r, Document *doc) {
    memset(doc, 0, sizeof *doc);
    if (r->next >= r->ninputs) return 0;
    const char *path = r->inputs[r->next++];
    doc->seq = r->seq++;
    if (read_byte_tokens(path, &doc->tokens, &doc->ntokens) != 0) return -1;
    if (doc->ntokens < 2) {
        cli_error("%s: %ld tokens, nothing to score (a document needs at least 2)", path, doc->ntokens);
        document_free(doc);
        return -1;
    }
    if (!(doc->id = strdup(path))) {
        cli_error("%s: out of memory", path);
        document_free(doc);
        return -1;
    }
    return 1;
}
