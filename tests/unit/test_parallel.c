/* The attention worker pool: every item runs exactly once per job, on a
 * worker index in range, across many jobs and worker counts (including
 * changes of the count between jobs), and jobs smaller than the pool. */
#include <stdatomic.h>
#include <string.h>

#include "check.h"
#include "parallel.h"

#define MAX_ITEMS 300

typedef struct {
    atomic_int runs[MAX_ITEMS];
    atomic_int bad_worker;
    int workers;
} Job;

static void count_item(void *ctx, int item, int worker) {
    Job *j = ctx;
    atomic_fetch_add(&j->runs[item], 1);
    if (worker < 0 || worker >= j->workers) atomic_fetch_add(&j->bad_worker, 1);
}

int main(void) {
    static const int counts[] = {1, 2, 4, 3, 1, 8, 2};
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        int workers = parallel_set_workers(counts[c]);
        CHECK(workers == counts[c] && parallel_workers() == workers, "pool of %d workers: got %d",
              counts[c], workers);
        int wrong = 0;
        for (int rep = 0; rep < 200; rep++) {
            int items = (rep * 37) % MAX_ITEMS; /* 0, 1 and fewer items than workers included */
            Job j;
            memset(&j, 0, sizeof j);
            j.workers = workers;
            parallel_for(items, count_item, &j);
            for (int i = 0; i < MAX_ITEMS; i++)
                if (atomic_load(&j.runs[i]) != (i < items)) wrong++;
            if (atomic_load(&j.bad_worker)) wrong++;
        }
        CHECK(wrong == 0, "%d workers: %d items ran other than once (or on a bad worker)", workers,
              wrong);
    }
    return check_summary();
}
