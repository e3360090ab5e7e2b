#include "watch.h"

#include <mpi.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HOST_LEN MPI_MAX_PROCESSOR_NAME

static char *hosts; /* [world][HOST_LEN], reachable for the whole run */
static int world_size, my_rank;
static uint64_t probe_seq;

static void answer_node_pings(void);
static void node_idle(void);

void watch_init(void) {
    MPI_Comm_rank(MPI_COMM_WORLD, &my_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world_size);
    char mine[HOST_LEN];
    int len = 0;
    memset(mine, 0, sizeof mine);
    MPI_Get_processor_name(mine, &len);
    hosts = calloc((size_t)world_size, HOST_LEN);
    if (!hosts) return; /* hosts show as "?" */
    MPI_Allgather(mine, HOST_LEN, MPI_CHAR, hosts, HOST_LEN, MPI_CHAR, MPI_COMM_WORLD);
    for (int r = 0; r < world_size; r++) hosts[(size_t)r * HOST_LEN + HOST_LEN - 1] = '\0';
    wire_on_idle(my_rank != 0 ? node_idle : answer_node_pings);
}

const char *watch_host(int rank) {
    static char local[HOST_LEN];
    if (!hosts && rank == 0) { /* one process, no MPI */
        if (!local[0] && gethostname(local, sizeof local - 1) != 0) snprintf(local, sizeof local, "?");
        return local;
    }
    if (!hosts || rank < 0 || rank >= world_size) return "?";
    return hosts + (size_t)rank * HOST_LEN;
}

int watch_ranks_on_host(int rank) {
    if (!hosts || rank < 0 || rank >= world_size) return 1;
    int n = 0;
    for (int r = 0; r < world_size; r++) n += !strcmp(watch_host(r), watch_host(rank));
    return n;
}

/* Blocking send of a small frame to dest, which is alive: it just asked. */
static void send_pong(int dest, int tag, uint64_t seq) {
    Swan__Pong p = SWAN__PONG__INIT;
    p.seq = seq;
    p.rank = my_rank;
    const WireWait *w = wire_current_wait();
    p.waiting_on = w->peer;
    p.waited_seconds = w->peer >= 0 ? wire_now() - w->since : 0;
    p.owed = (char *)w->owed;
    Swan__Envelope env;
    wire_wrap(&env, SWAN__ENVELOPE__BODY_PONG, &p);
    size_t len;
    uint8_t *buf = wire_pack(&env, &len);
    if (!buf) return;
    MPI_Send(buf, (int)len, MPI_BYTE, dest, tag, MPI_COMM_WORLD);
    free(buf);
}

void watch_answer_pings(void) {
    static int answering; /* send_pong's MPI calls never idle, but be safe */
    if (answering) return;
    answering = 1;
    int flag = 1;
    while (flag) {
        MPI_Status st;
        MPI_Iprobe(0, TAG_WATCH, MPI_COMM_WORLD, &flag, &st);
        if (!flag) break;
        Swan__Envelope *env = NULL;
        SwanError err;
        if (wire_recv(0, TAG_WATCH, WIRE_SETUP_MAX_FRAME, &env, &err) != 0) wire_fatal(err.msg);
        if (env->body_case == SWAN__ENVELOPE__BODY_PING) send_pong(0, TAG_WATCH, env->ping->seq);
        swan__envelope__free_unpacked(env, NULL);
    }
    answering = 0;
}

static double rank0_timeout; /* nodes: 0 until serving */

void watch_rank0_after(double seconds) {
    rank0_timeout = seconds;
}

/* A node's idle step: answer rank 0, and check on rank 0 when waiting on it. */
static void node_idle(void) {
    static int checking; /* watch_coordinator_alive idles too */
    watch_answer_pings();
    const WireWait *w = wire_current_wait();
    if (checking || rank0_timeout <= 0 || w->peer != 0 || wire_now() - w->since < rank0_timeout) return;
    checking = 1;
    int alive = watch_coordinator_alive(WATCH_GRACE_SECONDS);
    checking = 0;
    if (alive) {
        wire_wait_touch();
        return;
    }
    fprintf(stderr,
            "swan: error: rank 0 (host %s): no answer for %.0f s while %s (noticed by rank %d)\n",
            watch_host(0), wire_now() - w->since, w->owed, my_rank);
    fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
}

/* ---- rank 0 ---- */

/* Pings in flight: a stopped rank may never take one, so the buffers stay
 * reachable here and are reaped by later probes. */
static WirePending *pings;
static int npings, cap_pings;

static void reap_pings(void) {
    for (int i = 0; i < npings;)
        if (wire_pending_done(&pings[i]))
            pings[i] = pings[--npings];
        else
            i++;
}

/* Rank 0: answers stage 0's leader when it asks whether rank 0 lives. */
static void answer_node_pings(void) {
    int src;
    while (wire_poll(MPI_ANY_SOURCE, TAG_WATCH_UP, &src, NULL)) {
        Swan__Envelope *env = NULL;
        SwanError err;
        if (wire_recv(src, TAG_WATCH_UP, WIRE_SETUP_MAX_FRAME, &env, &err) != 0) wire_fatal(err.msg);
        if (env->body_case == SWAN__ENVELOPE__BODY_PING) send_pong(src, TAG_WATCH_UP, env->ping->seq);
        swan__envelope__free_unpacked(env, NULL);
    }
}

static void send_ping(int rank, int tag) {
    if (npings == cap_pings) {
        int cap = cap_pings ? 2 * cap_pings : 16;
        WirePending *grown = realloc(pings, sizeof *grown * (size_t)cap);
        if (!grown) return;
        pings = grown;
        cap_pings = cap;
    }
    Swan__Ping p = SWAN__PING__INIT;
    p.seq = probe_seq;
    Swan__Envelope env;
    wire_wrap(&env, SWAN__ENVELOPE__BODY_PING, &p);
    SwanError err;
    if (wire_isend(&env, rank, tag, &pings[npings], &err) == 0) npings++;
}

int watch_coordinator_alive(double grace) {
    probe_seq++;
    reap_pings();
    send_ping(0, TAG_WATCH_UP);
    double t0 = wire_now();
    int backoff = 0;
    while (wire_now() - t0 < grace) {
        if (wire_poll(0, TAG_WATCH_UP, NULL, NULL)) {
            Swan__Envelope *env = NULL;
            SwanError err;
            if (wire_recv(0, TAG_WATCH_UP, WIRE_SETUP_MAX_FRAME, &env, &err) != 0) wire_fatal(err.msg);
            int answer = env->body_case == SWAN__ENVELOPE__BODY_PONG && env->pong->seq == probe_seq;
            swan__envelope__free_unpacked(env, NULL);
            if (answer) return 1;
        }
        wire_idle(&backoff);
    }
    return 0;
}

/* Takes one Pong if one is waiting; marks its sender in answered[]. */
static int take_pong(const int *ranks, int n, int *answered, Swan__Pong **kept) {
    int src;
    if (!wire_poll(MPI_ANY_SOURCE, TAG_WATCH, &src, NULL)) return 0;
    Swan__Envelope *env = NULL;
    SwanError err;
    if (wire_recv(src, TAG_WATCH, WIRE_SETUP_MAX_FRAME, &env, &err) != 0) wire_fatal(err.msg);
    for (int i = 0; i < n; i++)
        if (ranks[i] == src && env->body_case == SWAN__ENVELOPE__BODY_PONG &&
            env->pong->seq == probe_seq && !answered[i]) {
            answered[i] = 1;
            kept[i] = env->pong;
            env->pong = NULL; /* kept[i] now owns it */
            env->body_case = SWAN__ENVELOPE__BODY__NOT_SET;
        }
    swan__envelope__free_unpacked(env, NULL);
    return 1;
}

static int index_of(const int *ranks, int n, int rank) {
    for (int i = 0; i < n; i++)
        if (ranks[i] == rank) return i;
    return -1;
}

/* The silent rank: one that did not answer, preferring one a rank that
 * answered has waited on longest. */
static void judge(const int *ranks, int n, const int *answered, Swan__Pong **kept, WatchVerdict *v) {
    v->rank = -1;
    v->seconds = 0;
    v->owed[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (!kept[i] || kept[i]->waiting_on < 0) continue;
        int j = index_of(ranks, n, kept[i]->waiting_on);
        if (j < 0 || answered[j] || kept[i]->waited_seconds <= v->seconds) continue;
        v->rank = ranks[j];
        v->seconds = kept[i]->waited_seconds;
        snprintf(v->owed, sizeof v->owed, "%s", kept[i]->owed ? kept[i]->owed : "");
    }
    for (int i = 0; i < n && v->rank < 0; i++)
        if (!answered[i]) v->rank = ranks[i];
}

void watch_probe(const int *ranks, int n, double grace, WatchVerdict *v) {
    int *answered = calloc((size_t)n, sizeof *answered);
    Swan__Pong **kept = calloc((size_t)n, sizeof *kept);
    v->rank = -1;
    if (!answered || !kept) {
        free(answered);
        free(kept);
        return;
    }
    probe_seq++;
    reap_pings();
    for (int i = 0; i < n; i++) send_ping(ranks[i], TAG_WATCH);
    double t0 = wire_now();
    int missing = n, backoff = 0;
    while (missing > 0 && wire_now() - t0 < grace) {
        if (take_pong(ranks, n, answered, kept)) {
            missing = 0;
            for (int i = 0; i < n; i++) missing += !answered[i];
            backoff = 0;
        } else {
            reap_pings();
            wire_idle(&backoff);
        }
    }
    judge(ranks, n, answered, kept, v);
    for (int i = 0; i < n; i++)
        if (kept[i]) swan__pong__free_unpacked(kept[i], NULL);
    free(kept);
    free(answered);
}
