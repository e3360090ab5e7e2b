#include "peak_rss.h"

#include <sys/resource.h>

long peak_rss_bytes(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
    return ru.ru_maxrss * 1024L; /* Linux reports KiB */
}
