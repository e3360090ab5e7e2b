/* The subcommands of the swan executable, called by main.c. world: MPI
 * ranks (1 without mpirun); rank 0 runs the command. */
#ifndef SWAN_COMMANDS_H
#define SWAN_COMMANDS_H

int cmd_score(int argc, char **argv, int world);
int cmd_generate(int argc, char **argv, int world);
int cmd_bench(int argc, char **argv);
int cmd_calibrate(int argc, char **argv); /* swan bench calibrate */
int cmd_report(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_export_gguf(int argc, char **argv);
int cmd_fit_scaling(int argc, char **argv, int world);
int cmd_convert(int argc, char **argv);

#endif
