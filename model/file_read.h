/* The one whole-file reader of the project: config.json, tokenizer.json and
 * the coordinator's text inputs all go through it, so they refuse the same
 * things with the same messages. */
#ifndef SWAN_FILE_READ_H
#define SWAN_FILE_READ_H

#include <stddef.h>

#include "error.h"

/* Reads all of path into a malloc'ed *buf, *len bytes, NUL-terminated one
 * past *len (so text can be parsed in place). Reads until EOF rather than
 * trusting st_size, so pipes and /proc files (st_size 0) work; opening a FIFO
 * blocks until it has a writer, so a caller that must not wait checks the
 * file type first. Fails, with "PATH: problem" in err and *buf untouched, on
 * a file that cannot be opened, a directory, more than max_bytes of content,
 * a read error or no memory. */
int swan_read_file(const char *path, size_t max_bytes, unsigned char **buf, size_t *len,
                   SwanError *err);

#endif
