/* bad_peer MODE: stands in for rank 0 of a swan job and sends rank 1 one
 * frame that a correct coordinator never sends (MODE: truncated, oversized,
 * version, garbage, unexpected). The real swan on rank 1 must reject it with
 * one line naming the sender and end the job; this program then waits to
 * be ended with it, and exits 3 if nobody ends it. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rank_hosts.h"
#include "watch.h"
#include "wire.h"

static uint8_t *setup_frame(size_t *len, uint32_t version) {
    Swan__Setup s = SWAN__SETUP__INIT;
    s.model_dir = "nowhere";
    s.max_chunk = 8;
    Swan__Envelope env = SWAN__ENVELOPE__INIT;
    env.body_case = SWAN__ENVELOPE__BODY_SETUP;
    env.setup = &s;
    uint8_t *buf = wire_pack(&env, len);
    if (version != SWAN_PROTOCOL_VERSION) { /* repack with the wrong version */
        free(buf);
        size_t n = swan__envelope__get_packed_size(&env);
        buf = malloc(n);
        env.version = version;
        *len = swan__envelope__pack(&env, buf);
    }
    return buf;
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    /* the start-up every rank of a swan job takes part in */
    watch_init();
    int rank = 0, world = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world);
    rank_hosts_gather(rank, world, "stand-in");
    const char *mode = argc > 1 ? argv[1] : "garbage";
    size_t len = 0;
    uint8_t *buf = NULL;
    if (!strcmp(mode, "truncated")) {
        buf = setup_frame(&len, SWAN_PROTOCOL_VERSION);
        len -= 3;
    } else if (!strcmp(mode, "version")) {
        buf = setup_frame(&len, SWAN_PROTOCOL_VERSION + 41);
    } else if (!strcmp(mode, "oversized")) {
        len = 2 * WIRE_SETUP_MAX_FRAME;
        buf = calloc(len, 1);
    } else if (!strcmp(mode, "unexpected")) {
        Swan__DocEnd e = SWAN__DOC_END__INIT;
        Swan__Envelope env = SWAN__ENVELOPE__INIT;
        env.body_case = SWAN__ENVELOPE__BODY_DOC_END;
        env.doc_end = &e;
        buf = wire_pack(&env, &len);
    } else {
        len = 64;
        buf = malloc(len);
        for (size_t i = 0; i < len; i++) buf[i] = (uint8_t)(0xF7 ^ (i * 31));
    }
    MPI_Send(buf, (int)len, MPI_BYTE, 1, TAG_PIPE, MPI_COMM_WORLD);
    free(buf);
    sleep(60); /* the job should be aborted long before this */
    fprintf(stderr, "bad_peer: nobody ended the job\n");
    MPI_Finalize();
    return 3;
}
