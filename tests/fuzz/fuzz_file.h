/* Fuzz targets whose code under test reads files: each input is written to
 * a file in a private temporary directory first. */
#ifndef SWAN_FUZZ_FILE_H
#define SWAN_FUZZ_FILE_H

#include <stddef.h>
#include <stdint.h>

/* The temporary directory (made on first use, removed at exit). */
const char *fuzz_dir(void);
/* Writes data to fuzz_dir()/name; returns the path (static storage). */
const char *fuzz_write(const char *name, const uint8_t *data, size_t size);

#endif
