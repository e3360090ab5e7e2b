/* failing_node: stands in for rank 1, the only node of a swan job, and fails
 * the way a real node does when it cannot go on: after Setup and Ready it
 * takes the first chunk, then sends rank 0 an Error on the error channel
 * and waits to be ended with the job (exits 3 if nobody ends it). The real
 * coordinator on rank 0 must print one line naming rank 1 and the reason,
 * and mark the documents in flight as failed. */
#include <mpi.h>
#include <stdio.h>
#include <unistd.h>

#include "rank_hosts.h"
#include "watch.h"
#include "wire.h"

static Swan__Envelope *receive(int tag) {
    Swan__Envelope *env = NULL;
    SwanError err;
    wire_wait(0, tag, NULL, NULL);
    if (wire_recv(0, tag, 1u << 26, &env, &err) != 0) {
        fprintf(stderr, "failing_node: %s\n", err.msg);
        MPI_Abort(MPI_COMM_WORLD, 4);
    }
    return env;
}

static void send_to_rank0(Swan__Envelope__BodyCase c, void *body, int tag) {
    Swan__Envelope env;
    wire_wrap(&env, c, body);
    SwanError err;
    if (wire_send(&env, 0, tag, &err) != 0) MPI_Abort(MPI_COMM_WORLD, 4);
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    /* the start-up every rank of a swan job takes part in */
    watch_init();
    int rank = 0, world = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world);
    rank_hosts_gather(rank, world, "stand-in");
    swan__envelope__free_unpacked(receive(TAG_PIPE), NULL); /* Setup */
    Swan__Ready ready = SWAN__READY__INIT;
    ready.rank = 1;
    send_to_rank0(SWAN__ENVELOPE__BODY_READY, &ready, TAG_COORD);
    swan__envelope__free_unpacked(receive(TAG_PIPE), NULL); /* the first chunk */
    Swan__Error e = SWAN__ERROR__INIT;
    e.rank = 1;
    e.message = "injected failure: the stage cannot go on";
    send_to_rank0(SWAN__ENVELOPE__BODY_ERROR, &e, TAG_ERROR);
    sleep(60); /* the job should be aborted long before this */
    fprintf(stderr, "failing_node: nobody ended the job\n");
    MPI_Finalize();
    return 3;
}
