#include "error.h"

#include <stdarg.h>
#include <stdio.h>

int swan_error_set(SwanError *err, const char *fmt, ...) {
    if (!err) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    /* One line per error is a promise to the user: flatten anything else. */
    for (char *c = err->msg; *c; c++)
        if (*c == '\n' || *c == '\r') *c = ' ';
    return -1;
}
