#include "sink.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "results.h"

int sink_open(ResultSink *s, const char *out_path, const char *dump_path) {
    memset(s, 0, sizeof *s);
    s->out = stdout;
    s->out_name = out_path ? out_path : "stdout";
    s->dump_name = dump_path;
    if (out_path && !(s->out = fopen(out_path, "a"))) {
        cli_error("%s: %s", out_path, strerror(errno));
        return -1;
    }
    if (dump_path && !(s->dump = fopen(dump_path, "wb"))) {
        cli_error("%s: %s", dump_path, strerror(errno));
        return -1;
    }
    return 0;
}

void sink_close(ResultSink *s) {
    if (s->out && s->out != stdout) fclose(s->out);
    if (s->dump) fclose(s->dump);
    for (int i = 0; i < s->npending; i++) free(s->pending[i].nll);
    free(s->pending);
    memset(s, 0, sizeof *s);
}

/* A line is on disk before the next document is reported done: a crash
 * later loses nothing already finished. */
static int write_line(ResultSink *s, const char *line) {
    if (fputs(line, s->out) == EOF || fputc('\n', s->out) == EOF || fflush(s->out) != 0) return -1;
    struct stat sb;
    if (fstat(fileno(s->out), &sb) == 0 && S_ISREG(sb.st_mode) && fsync(fileno(s->out)) != 0) return -1;
    return 0;
}

static int dump_values(ResultSink *s, const double *nll, long count) {
    for (long i = 0; i < count; i++) {
        float v = (float)nll[i];
        if (fwrite(&v, sizeof v, 1, s->dump) != 1) return -1;
    }
    return fflush(s->dump) == 0 ? 0 : -1;
}

/* Writes every pending dump that is next in input order. */
static int flush_dumps(ResultSink *s) {
    for (int progressed = 1; progressed;) {
        progressed = 0;
        for (int i = 0; i < s->npending; i++) {
            if (s->pending[i].seq != s->next_dump_seq) continue;
            int rc = s->pending[i].nll ? dump_values(s, s->pending[i].nll, s->pending[i].count) : 0;
            free(s->pending[i].nll);
            s->pending[i] = s->pending[--s->npending];
            s->next_dump_seq++;
            if (rc != 0) {
                cli_error("%s: cannot write: %s", s->dump_name, strerror(errno));
                return -1;
            }
            progressed = 1;
            break;
        }
    }
    return 0;
}

static int queue_dump(ResultSink *s, long seq, const double *nll, long count) {
    if (!s->dump) return 0;
    if (s->npending == s->cap_pending) {
        int cap = s->cap_pending ? 2 * s->cap_pending : 8;
        PendingDump *p = realloc(s->pending, sizeof *p * (size_t)cap);
        if (!p) return -1;
        s->pending = p;
        s->cap_pending = cap;
    }
    double *copy = NULL;
    if (nll && count > 0) {
        copy = malloc(sizeof(double) * (size_t)count);
        if (!copy) return -1;
        memcpy(copy, nll, sizeof(double) * (size_t)count);
    }
    s->pending[s->npending++] = (PendingDump){seq, copy, count};
    return flush_dumps(s);
}

int sink_document(ResultSink *s, long seq, const char *id, long ntokens, const double *nll,
                  double seconds, const RankStats *stats, int nstats) {
    char *line = result_line(id, ntokens, nll, seconds, stats, nstats);
    int rc = line ? write_line(s, line) : -1;
    free(line);
    if (rc != 0) {
        cli_error("%s: cannot write the result of %s: %s", s->out_name, id, strerror(errno));
        return -1;
    }
    if (queue_dump(s, seq, nll, ntokens - 1) != 0) {
        cli_error("%s: cannot queue the NLL dump of %s", s->dump_name, id);
        return -1;
    }
    return 0;
}

int sink_skip(ResultSink *s, long seq) {
    return queue_dump(s, seq, NULL, 0);
}
