#include "parallel.h"

#include <pthread.h>
#include <stdlib.h>

#define PARALLEL_MAX_WORKERS 256

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake, idle;
    pthread_t threads[PARALLEL_MAX_WORKERS];
    int workers; /* including the caller */
    int started; /* extra threads running */
    long job;    /* bumped for each job (and for shutdown) */
    int stopping;
    ParallelTask task;
    void *ctx;
    int items, next, busy;
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, .workers = 1};

/* Takes items until none is left; the lock is held on entry and exit. */
static void run_items(int worker) {
    while (pool.next < pool.items) {
        int item = pool.next++;
        ParallelTask task = pool.task;
        void *ctx = pool.ctx;
        pthread_mutex_unlock(&pool.lock);
        task(ctx, item, worker);
        pthread_mutex_lock(&pool.lock);
    }
}

static void *worker_main(void *arg) {
    int worker = (int)(long)arg;
    pthread_mutex_lock(&pool.lock);
    long seen = pool.job;
    for (;;) {
        while (pool.job == seen && !pool.stopping) pthread_cond_wait(&pool.wake, &pool.lock);
        if (pool.stopping) break;
        seen = pool.job;
        pool.busy++;
        run_items(worker);
        if (--pool.busy == 0) pthread_cond_signal(&pool.idle);
    }
    pthread_mutex_unlock(&pool.lock);
    return NULL;
}

static void stop_workers(void) {
    pthread_mutex_lock(&pool.lock);
    pool.stopping = 1;
    pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.lock);
    for (int i = 0; i < pool.started; i++) pthread_join(pool.threads[i], NULL);
    pool.started = 0;
    pool.stopping = 0;
    pool.workers = 1;
}

int parallel_set_workers(int workers) {
    static int registered;
    if (workers < 1) workers = 1;
    if (workers > PARALLEL_MAX_WORKERS) workers = PARALLEL_MAX_WORKERS;
    if (workers == pool.workers) return workers;
    stop_workers();
    if (!registered) registered = atexit(stop_workers) == 0;
    /* A thread that cannot be started only means less parallelism. */
    while (pool.started < workers - 1 && pthread_create(&pool.threads[pool.started], NULL, worker_main,
                                                        (void *)(long)(pool.started + 1)) == 0)
        pool.started++;
    pool.workers = pool.started + 1;
    return pool.workers;
}

int parallel_workers(void) {
    return pool.workers;
}

void parallel_for(int items, ParallelTask task, void *ctx) {
    if (pool.workers == 1 || items <= 1) {
        for (int i = 0; i < items; i++) task(ctx, i, 0);
        return;
    }
    pthread_mutex_lock(&pool.lock);
    pool.task = task, pool.ctx = ctx, pool.items = items, pool.next = 0;
    pool.job++;
    pthread_cond_broadcast(&pool.wake);
    pool.busy++;
    run_items(0);
    pool.busy--;
    /* Wait until every worker that took an item has finished it. */
    while (pool.busy > 0) pthread_cond_wait(&pool.idle, &pool.lock);
    pool.items = 0;
    pthread_mutex_unlock(&pool.lock);
}
