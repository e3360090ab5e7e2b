#include "progress.h"

#include <stdio.h>
#include <unistd.h>

#include "cli.h"

#define PROGRESS_TTY_SECONDS 0.25

void progress_init(Progress *p, ProgressMode mode) {
    *p = (Progress){0};
    p->tty = isatty(STDERR_FILENO);
    p->enabled = mode == PROGRESS_ON || (mode == PROGRESS_AUTO && p->tty);
    p->t0 = p->last_shown = cli_now();
}

static void show(Progress *p, int final) {
    double now = cli_now(), elapsed = now - p->t0;
    double every = p->tty ? PROGRESS_TTY_SECONDS : PROGRESS_LOG_SECONDS;
    if (!p->enabled || (!final && now - p->last_shown < every)) return;
    p->last_shown = now;
    char failed[48] = "";
    if (p->failed) snprintf(failed, sizeof failed, " (%ld failed)", p->failed);
    fprintf(stderr, "%sswan: %ld documents%s, %ld tokens, %.0f tokens/s, %.0f s%s",
            p->tty ? "\r\033[K" : "", p->documents, failed, p->tokens,
            elapsed > 0 ? (double)p->tokens / elapsed : 0.0, elapsed, p->tty && !final ? "" : "\n");
    fflush(stderr);
}

void progress_tokens(Progress *p, long n) {
    if (!p) return;
    p->tokens += n;
    show(p, 0);
}

void progress_document(Progress *p, int ok) {
    if (!p) return;
    p->documents += ok;
    p->failed += !ok;
    show(p, 0);
}

void progress_finish(Progress *p) {
    if (!p) return;
    show(p, 1);
}
