/* Where a rank runs, as people name it: the host name (on a testbed, each
 * host's own UTS name). Result lines and fault reports carry it so a number
 * or a failure can be traced to a machine, not just a rank. */
#ifndef SWAN_HOST_NAME_H
#define SWAN_HOST_NAME_H

#include <stddef.h>

#include "rank_hosts.h" /* SWAN_HOST_MAX */

/* Writes the host name into buf (n bytes, NUL-terminated); "?" if unknown. */
void host_name(char *buf, size_t n);

#endif
