/* Subcommands of the swan executable and the small helpers they share. */
#ifndef SWAN_CLI_H
#define SWAN_CLI_H

#include <stddef.h>

/* world: MPI ranks (1 without mpirun); rank 0 runs the commands. */
int cmd_score(int argc, char **argv, int world);
int cmd_bench(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_generate(int argc, char **argv, int world);
int cmd_plan(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);

/* Prints "swan: error: ..." as one line on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parses a whole decimal integer in [lo, hi]; -1 with a message otherwise. */
int cli_parse_long(const char *opt, const char *text, long lo, long hi, long *out);

/* --wire-dtype f32|bf16: *bf16 = 1 for bf16; -1 with a message otherwise. */
int cli_parse_wire_dtype(const char *opt, const char *text, int *bf16);

/* Seconds on a monotonic clock. */
double cli_now(void);

#endif
