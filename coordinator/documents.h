/* The documents of a run, read and tokenized on the coordinator one at a
 * time, in input order. A bad input is reported and skipped; the rest of
 * the batch goes on.
 *
 * Inputs, by kind:
 *   directory   its regular files, recursively, sorted by path (bytewise);
 *               hidden names (".x") are skipped, symlinked directories not
 *               followed; each file is read by its own extension as below
 *   NAME.jsonl  one document per line {"id": ..., "text": "..."}; id a string
 *               or a number, "FILE:LINE" when absent; blank lines are skipped
 *   NAME.u32    token ids as little-endian uint32 (the tokenizer is not used)
 *   other       a text file, tokenized whole
 * A document is read only when its turn comes: a directory is listed up front
 * (paths only) and a JSONL file is read line by line. */
#ifndef SWAN_DOCUMENTS_H
#define SWAN_DOCUMENTS_H

#include <stddef.h>
#include <stdio.h>

#include "tokenizer.h"

typedef struct {
    char *id;    /* owned */
    int *tokens; /* owned */
    long ntokens;
    long seq; /* position in the input order, counting bad inputs too */
} Document;

typedef struct {
    const Tokenizer *tokenizer; /* the caller's; used for text */
    /* The plain byte tokenizer: any bytes make a document. Otherwise text
     * holding a NUL byte is refused as binary, not text. */
    int bytes;
    int vocab_size; /* the model's: a larger id fails the document */
    /* --resume: returns 1 when a document with this id is already done (it
     * is then skipped, unread). NULL: nothing is skipped. */
    int (*skip)(void *ctx, const char *id);
    void *skip_ctx;
    /* --no-special: text without the tokens the tokenizer's post-processor
     * puts around each whole document (a BOS), which it gets by default. */
    int no_special;
} DocReaderOptions;

typedef struct {
    char *path;
    int err; /* errno of a subdirectory that could not be listed, else 0 */
} DirEntry;

typedef struct {
    DocReaderOptions o;
    char **inputs;
    int ninputs;
    int next;
    long seq;
    long skipped;    /* documents the skip callback passed over */
    DirEntry *files; /* the directory being read, sorted */
    size_t nfiles, next_file;
    FILE *jsonl; /* the JSONL file being read, or NULL */
    char *jsonl_path;
    long jsonl_line;
    long jsonl_items; /* non-blank lines so far */
    char *line;
    size_t line_cap;
} DocReader;

void doc_reader_init(DocReader *r, char **inputs, int ninputs, const DocReaderOptions *o);

/* Closes what the reader still holds open (after an early stop too). */
void doc_reader_free(DocReader *r);

/* 1: *doc filled; 0: no more inputs; -1: this input was bad (message
 * printed, doc->seq says which), call again for the next. */
int doc_reader_next(DocReader *r, Document *doc);

void document_free(Document *doc);

#endif
