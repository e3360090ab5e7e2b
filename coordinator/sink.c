#include "sink.h"

#include <cJSON.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "cli.h"
#include "results.h"

/* ---- resume: the ids already done, a multiset in an open-addressing table ---- */

static size_t hash_id(const char *id) {
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)id; *p; p++) h = (h ^ *p) * 1099511628211ULL;
    return (size_t)h;
}

static DoneId *find_slot(DoneId *tab, size_t cap, const char *id) {
    for (size_t i = hash_id(id) & (cap - 1);; i = (i + 1) & (cap - 1))
        if (!tab[i].id || !strcmp(tab[i].id, id)) return &tab[i];
}

static int grow_done(ResultSink *s) {
    size_t cap = s->done_cap ? 2 * s->done_cap : 64;
    DoneId *tab = calloc(cap, sizeof *tab);
    if (!tab) return -1;
    for (size_t i = 0; i < s->done_cap; i++)
        if (s->done[i].id) *find_slot(tab, cap, s->done[i].id) = s->done[i];
    free(s->done);
    s->done = tab;
    s->done_cap = cap;
    return 0;
}

static int add_done(ResultSink *s, const char *id) {
    if (2 * (s->done_used + 1) > s->done_cap && grow_done(s) != 0) return -1;
    DoneId *d = find_slot(s->done, s->done_cap, id);
    if (!d->id) {
        if (!(d->id = strdup(id))) return -1;
        d->count = 0;
        s->done_used++;
    }
    d->count++;
    s->done_lines++;
    return 0;
}

int sink_take_done(ResultSink *s, const char *id) {
    if (!s->done_cap) return 0;
    DoneId *d = find_slot(s->done, s->done_cap, id);
    if (!d->id || d->count == 0) return 0;
    d->count--;
    return 1;
}

static int blank(const char *p, size_t len) {
    for (size_t i = 0; i < len; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n') return 0;
    return 1;
}

/* Adds a complete line's id: 0; 1 when the line is not a result, 2 when it
 * is another model's; -1 when out of memory. */
static int add_line(ResultSink *s, const char *line, size_t len) {
    if (blank(line, len)) return 0;
    cJSON *o = cJSON_ParseWithLength(line, len);
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "id"));
    const char *model = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "model"));
    int rc = !id ? 1 : !model || strcmp(model, s->model) ? 2 : add_done(s, id);
    cJSON_Delete(o);
    return rc;
}

/* What a crash can leave as the last line: the start of a result line, or
 * bytes the file grew by whose data never landed (NULs). */
static int torn_trace(const char *line, size_t len) {
    static const char start[] = "{\"id\":";
    size_t n = len < sizeof start - 1 ? len : sizeof start - 1;
    if (!strncmp(line, start, n)) return 1;
    for (size_t i = 0; i < len; i++)
        if (line[i] != '\0' && line[i] != '\n') return 0;
    return 1;
}

static void refuse_line(const char *path, long no, int why) {
    if (why == 2)
        cli_error("%s:%ld: a result of another model or tokenizer (or of an older swan); cannot resume "
                  "from this file",
                  path, no);
    else
        cli_error("%s:%ld: not a result line (no \"id\"); cannot resume from this file", path, no);
}

/* Collects the ids of the file's result lines; *keep: the bytes up to the
 * end of the last one. Only the last line may be bad: a line is written in
 * one piece and made durable before the next, so a crash damages no other. */
static int read_done(ResultSink *s, FILE *f, const char *path, long long *keep, long long *size) {
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long long off = 0;
    long no = 0, torn = 0; /* torn: a crash's trace, allowed only as the last line */
    int rc = 0;
    *keep = 0;
    while (rc == 0 && (len = getline(&line, &cap, f)) > 0) {
        no++;
        off += len;
        int added = torn ? 1 : add_line(s, line, (size_t)len);
        if (added < 0) cli_error("%s: out of memory reading the finished documents", path);
        if (added == 0) *keep = off;
        if (added == 1 && !torn && torn_trace(line, (size_t)len)) {
            torn = no;
            continue;
        }
        if (added > 0) refuse_line(path, torn ? torn : no, torn ? 1 : added);
        if (added != 0) rc = -1;
    }
    if (rc == 0 && ferror(f)) {
        cli_error("%s: read error: %s", path, strerror(errno));
        rc = -1;
    }
    free(line);
    *size = off;
    return rc;
}

/* Reads what an earlier run finished and cuts off a torn last line, so new
 * lines start on a line of their own. A missing file is an empty one. */
static int prepare_resume(ResultSink *s, const char *path) {
    struct stat sb;
    if (stat(path, &sb) != 0 && errno == ENOENT) return 0;
    FILE *f = NULL;
    if (!(f = fopen(path, "rb")) || fstat(fileno(f), &sb) != 0) {
        cli_error("%s: %s", path, strerror(errno));
        if (f) fclose(f);
        return -1;
    }
    if (!S_ISREG(sb.st_mode)) {
        cli_error("%s: --resume needs the output to be a regular file", path);
        fclose(f);
        return -1;
    }
    long long keep = 0, size = 0;
    int rc = read_done(s, f, path, &keep, &size);
    fclose(f);
    if (rc == 0 && keep < size) {
        fprintf(stderr,
                "swan: %s: cutting off a torn last line (%lld bytes) left by an "
                "interrupted run\n",
                path, size - keep);
        if (truncate(path, (off_t)keep) != 0) {
            cli_error("%s: cannot truncate: %s", path, strerror(errno));
            rc = -1;
        }
    }
    if (rc == 0)
        fprintf(stderr, "swan: resuming: %ld finished documents in %s are skipped\n", s->done_lines,
                path);
    return rc;
}

/* ---- the sink ---- */

int sink_open(ResultSink *s, const char *out_path, const char *dump_path, int resume,
              const char *model) {
    memset(s, 0, sizeof *s);
    snprintf(s->model, sizeof s->model, "%s", model);
    s->out = stdout;
    s->out_name = out_path ? out_path : "stdout";
    s->dump_name = dump_path;
    if (resume && (!out_path || prepare_resume(s, out_path) != 0)) {
        if (!out_path) cli_error("--resume needs the output file (-o PATH)");
        return -1;
    }
    if (out_path && !(s->out = fopen(out_path, "a"))) {
        cli_error("%s: %s", out_path, strerror(errno));
        return -1;
    }
    /* Unbuffered: a line is one write, and a failed one leaves nothing in a
     * buffer for fclose to write later. */
    if (out_path) setvbuf(s->out, NULL, _IONBF, 0);
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
    for (size_t i = 0; i < s->done_cap; i++) free(s->done[i].id);
    free(s->done);
    memset(s, 0, sizeof *s);
}

/* A line is on disk before the next document is reported done: a crash
 * later loses nothing already finished. It goes out in one write when it
 * fits the stdio buffer, so a crash tears at most this line. */
static int write_line(ResultSink *s, char **line) {
    size_t n = strlen(*line);
    char *grown = realloc(*line, n + 2);
    if (!grown) return -1;
    *line = grown;
    memcpy(grown + n, "\n", 2);
    struct stat sb;
    int regular = fstat(fileno(s->out), &sb) == 0 && S_ISREG(sb.st_mode);
    if (fwrite(grown, 1, n + 1, s->out) == n + 1 && fflush(s->out) == 0 &&
        (!regular || fsync(fileno(s->out)) == 0))
        return 0;
    int saved = errno;
    /* Whole lines only: take back what part of this one landed. */
    if (regular && ftruncate(fileno(s->out), sb.st_size) == 0) fsync(fileno(s->out));
    clearerr(s->out);
    errno = saved;
    return -1;
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
    if (s->failed) return -1;
    char *line = result_line(id, ntokens, nll, seconds, stats, nstats, s->model);
    int rc = line ? write_line(s, &line) : -1;
    free(line);
    if (rc != 0) {
        cli_error("%s: cannot write the result of %s: %s", s->out_name, id, strerror(errno));
        s->failed = 1;
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
