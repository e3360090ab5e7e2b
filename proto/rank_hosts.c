#include "rank_hosts.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

static int *host_index; /* [world], rank 0 only */
static int nhosts;

/* Host indices by first appearance: ranks on the same host name share one. */
static void index_hosts(const char *names, int world) {
    host_index = malloc(sizeof *host_index * (size_t)world);
    if (!host_index) return;
    for (int r = 0; r < world; r++) {
        const char *name = names + (size_t)r * SWAN_HOST_MAX;
        int same = -1;
        for (int q = 0; q < r && same < 0; q++)
            if (!strncmp(name, names + (size_t)q * SWAN_HOST_MAX, SWAN_HOST_MAX)) same = q;
        host_index[r] = same >= 0 ? host_index[same] : nhosts++;
    }
}

void rank_hosts_gather(int rank, int world, const char *host) {
    char mine[SWAN_HOST_MAX] = {0};
    snprintf(mine, sizeof mine, "%s", host);
    char *all = rank == 0 ? malloc((size_t)world * SWAN_HOST_MAX) : NULL;
    if (rank == 0 && !all) wire_fatalf("out of memory gathering the host names of %d ranks", world);
    MPI_Gather(mine, SWAN_HOST_MAX, MPI_CHAR, all, SWAN_HOST_MAX, MPI_CHAR, 0, MPI_COMM_WORLD);
    if (rank == 0) index_hosts(all, world);
    free(all);
}

void rank_hosts_free(void) {
    free(host_index);
    host_index = NULL;
    nhosts = 0;
}

int rank_hosts_count(void) {
    return host_index ? nhosts : 0;
}

const int *rank_hosts_index(void) {
    return host_index;
}
