/* What this process has used so far, as a rank reports it per document:
 * its most resident memory (mapped weight pages included) and its CPU time,
 * so a run shows where each rank's time went (busy against waiting). */
#ifndef SWAN_PROCESS_USAGE_H
#define SWAN_PROCESS_USAGE_H

long peak_rss_bytes(void);

/* User and system time: the kernel's work on its sockets is in it. */
double process_cpu_seconds(void);

#endif
