/* Progress of a scoring run on stderr: documents done, tokens scored and
 * the rate. On a terminal one line is redrawn in place (at most a few times
 * a second); into a log (Slurm, mpirun's forwarded stderr, a file) a plain
 * line every PROGRESS_LOG_SECONDS, so logs stay short. Off by default unless
 * stderr is a terminal. Results never go here: they go to the sink. */
#ifndef SWAN_PROGRESS_H
#define SWAN_PROGRESS_H

#define PROGRESS_LOG_SECONDS 10.0

typedef enum { PROGRESS_AUTO, PROGRESS_ON, PROGRESS_OFF } ProgressMode;

typedef struct {
    int enabled, tty;
    double t0, last_shown;
    long documents, failed, tokens;
} Progress;

void progress_init(Progress *p, ProgressMode mode);
/* n more tokens scored (a chunk or a whole document). */
void progress_tokens(Progress *p, long n);
/* A document finished (ok) or was given up (!ok). */
void progress_document(Progress *p, int ok);
/* Prints the final figures and ends the line. */
void progress_finish(Progress *p);

#endif
