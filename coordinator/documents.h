/* The documents of a run, read and tokenized on the coordinator one at a
 * time, in input order. A bad input is reported and skipped; the rest of
 * the batch goes on. */
#ifndef SWAN_DOCUMENTS_H
#define SWAN_DOCUMENTS_H

typedef struct {
    char *id;     /* owned */
    int *tokens;  /* owned */
    long ntokens;
    long seq;     /* position in the input order, counting bad inputs too */
} Document;

typedef struct {
    char **inputs;
    int ninputs;
    int next;
    int vocab_size;
    long seq;
} DocReader;

void doc_reader_init(DocReader *r, char **inputs, int ninputs, int vocab_size);

/* 1: *doc filled; 0: no more inputs; -1: this input was bad (message
 * printed, doc->seq says which), call again for the next. */
int doc_reader_next(DocReader *r, Document *doc);

void document_free(Document *doc);

#endif
