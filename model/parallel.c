#include "parallel.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#define PARALLEL_MAX_WORKERS 256

/* How long a thread that has just finished watches for the next job (or
 * for the others to finish) before it sleeps on a condition variable. A
 * token of decoding is some sixty short jobs; waking a sleeping thread costs
 * tens of microseconds each time, so the watch covers the gap between two
 * jobs, and a rank whose work has ended sleeps after this long. */
#define SPIN_NS 50000L

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake, idle;
    pthread_t threads[PARALLEL_MAX_WORKERS];
    int workers;     /* including the caller */
    int started;     /* extra threads running */
    atomic_long job; /* bumped for each job (and for shutdown), under the lock */
    int stopping;
    ParallelTask task;
    void *ctx;
    int items, next;
    atomic_int busy; /* threads inside the job; changed under the lock */
    int sleepers;    /* workers waiting on `wake` */
    int waiting;     /* the caller waits on `idle` */
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, .workers = 1};

static long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Watches, without the lock, until done() or SPIN_NS pass; 1 if done.
 * After the first few hundred checks it yields the core between checks,
 * so that on an oversubscribed machine the thread it waits for can run. */
static int spin_until(int (*done)(long), long arg) {
    long start = now_ns();
    for (int i = 1;; i++) {
        if (done(arg)) return 1;
        if (i < 256)
            cpu_relax();
        else
            sched_yield();
        if (i % 16 == 0 && now_ns() - start > SPIN_NS) return done(arg);
    }
}

static int job_changed(long seen) {
    return atomic_load_explicit(&pool.job, memory_order_acquire) != seen;
}

static int all_idle(long unused) {
    (void)unused;
    return atomic_load_explicit(&pool.busy, memory_order_acquire) == 0;
}

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
    long seen = atomic_load(&pool.job);
    for (;;) {
        if (atomic_load(&pool.job) == seen && !pool.stopping) {
            pthread_mutex_unlock(&pool.lock);
            spin_until(job_changed, seen);
            pthread_mutex_lock(&pool.lock);
        }
        while (atomic_load(&pool.job) == seen && !pool.stopping) {
            pool.sleepers++;
            pthread_cond_wait(&pool.wake, &pool.lock);
            pool.sleepers--;
        }
        if (pool.stopping) break;
        seen = atomic_load(&pool.job);
        atomic_fetch_add(&pool.busy, 1);
        run_items(worker);
        if (atomic_fetch_sub(&pool.busy, 1) == 1 && pool.waiting) pthread_cond_signal(&pool.idle);
    }
    pthread_mutex_unlock(&pool.lock);
    return NULL;
}

static void stop_workers(void) {
    pthread_mutex_lock(&pool.lock);
    pool.stopping = 1;
    atomic_fetch_add(&pool.job, 1);
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
    atomic_fetch_add_explicit(&pool.job, 1, memory_order_release);
    if (pool.sleepers > 0) pthread_cond_broadcast(&pool.wake);
    atomic_fetch_add(&pool.busy, 1);
    run_items(0);
    atomic_fetch_sub(&pool.busy, 1);
    /* Wait until every worker that took an item has finished it. */
    if (atomic_load(&pool.busy) > 0) {
        pthread_mutex_unlock(&pool.lock);
        spin_until(all_idle, 0);
        pthread_mutex_lock(&pool.lock);
    }
    pool.waiting = 1;
    while (atomic_load(&pool.busy) > 0) pthread_cond_wait(&pool.idle, &pool.lock);
    pool.waiting = 0;
    pool.items = 0;
    pthread_mutex_unlock(&pool.lock);
}

/* Rows per item when a row-wise kernel is spread over the pool, and the
 * least work (rows x width) worth waking the workers for. */
#define ROWS_PER_ITEM 16
#define ROWS_PARALLEL_MIN_FLOATS (64 * 1024)

typedef struct {
    void (*rows_fn)(void *args, int r0, int r1);
    void *args;
    int rows;
} RowsJob;

static void rows_item(void *ctx, int item, int worker) {
    (void)worker;
    const RowsJob *j = ctx;
    int r0 = item * ROWS_PER_ITEM, r1 = r0 + ROWS_PER_ITEM < j->rows ? r0 + ROWS_PER_ITEM : j->rows;
    j->rows_fn(j->args, r0, r1);
}

void parallel_rows(void (*fn)(void *args, int r0, int r1), void *args, int rows, size_t width) {
    if (pool.workers == 1 || (size_t)rows * width < ROWS_PARALLEL_MIN_FLOATS) {
        fn(args, 0, rows);
        return;
    }
    RowsJob job = {fn, args, rows};
    parallel_for((rows + ROWS_PER_ITEM - 1) / ROWS_PER_ITEM, rows_item, &job);
}
