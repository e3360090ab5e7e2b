#include "host_memory.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* A cgroup limit file's number; 0 for "max", absent or unreadable. */
static double read_limit(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char buf[64] = "";
    int ok = fgets(buf, sizeof buf, f) != NULL;
    fclose(f);
    if (!ok || buf[0] < '0' || buf[0] > '9') return 0;
    return strtod(buf, NULL);
}

double host_memory_bytes(void) {
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    double phys = pages > 0 && page > 0 ? (double)pages * page : 0;
    double cg = read_limit("/sys/fs/cgroup/memory.max");
    if (cg <= 0) cg = read_limit("/sys/fs/cgroup/memory/memory.limit_in_bytes");
    /* v1 reports "no limit" as a huge number: phys bounds it either way */
    if (cg > 0 && (phys <= 0 || cg < phys)) return cg;
    return phys;
}

double host_rank_share(int ranks_on_host) {
    return 0.9 * host_memory_bytes() / (ranks_on_host > 0 ? ranks_on_host : 1);
}
