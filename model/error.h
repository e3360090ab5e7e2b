/* Error reporting for the model library: every failing call fills one
 * SwanError with a single line ("FILE: problem") and returns -1, so the
 * caller decides how to report it and nothing in model/ exits or prints. */
#ifndef SWAN_ERROR_H
#define SWAN_ERROR_H

#define SWAN_ERROR_MAX 512

typedef struct {
    char msg[SWAN_ERROR_MAX];
} SwanError;

/* Formats msg (printf style, newlines replaced by spaces) and returns -1. */
int swan_error_set(SwanError *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
