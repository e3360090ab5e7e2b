#include "host_name.h"

#include <stdio.h>
#include <unistd.h>

void host_name(char *buf, size_t n) {
    if (n == 0) return;
    /* gethostname may leave a truncated name unterminated. */
    if (gethostname(buf, n) != 0) snprintf(buf, n, "?");
    buf[n - 1] = '\0';
}
