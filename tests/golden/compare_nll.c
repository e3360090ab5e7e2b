/* compare_nll ACTUAL EXPECTED TOL [MEAN_TOL]: per-token NLL files agree
 * within TOL, and (when given) their mean |difference| is at most MEAN_TOL.
 * Files ending in .f64 hold float64, anything else float32 (little-endian).
 * Prints the worst token; exits 1 when any differs by more than TOL, when
 * the counts differ, or when a value is not finite. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double *read_values(const char *path, long *n) {
    size_t len = strlen(path);
    int f64 = len > 4 && !strcmp(path + len - 4, ".f64");
    size_t width = f64 ? 8 : 4;
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "compare_nll: cannot open %s\n", path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long bytes = ftell(f);
    fseek(f, 0, SEEK_SET);
    *n = bytes / (long)width;
    double *v = malloc(sizeof(double) * (size_t)(*n + 1));
    for (long i = 0; v && i < *n; i++) {
        if (f64) {
            double x;
            if (fread(&x, 8, 1, f) != 1) x = NAN;
            v[i] = x;
        } else {
            float x;
            if (fread(&x, 4, 1, f) != 1) x = NAN;
            v[i] = x;
        }
    }
    fclose(f);
    return v;
}

int main(int argc, char **argv) {
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: compare_nll ACTUAL EXPECTED TOL [MEAN_TOL]\n");
        return 2;
    }
    double tol = atof(argv[3]);
    long na = 0, ne = 0;
    double *a = read_values(argv[1], &na), *e = read_values(argv[2], &ne);
    if (!a || !e) return 1;
    if (na != ne || na == 0) {
        printf("FAIL: %ld values in %s, %ld in %s\n", na, argv[1], ne, argv[2]);
        return 1;
    }
    double worst = 0.0, sum = 0.0;
    long worst_at = 0, bad = 0;
    for (long i = 0; i < na; i++) {
        double d = fabs(a[i] - e[i]);
        if (!isfinite(a[i]) || !isfinite(e[i]) || d > tol) bad++;
        if (!(d <= worst)) worst = d, worst_at = i;
        sum += d;
    }
    double mean = sum / (double)na, mean_tol = argc == 5 ? atof(argv[4]) : INFINITY;
    if (!(mean <= mean_tol)) bad++;
    printf("%s: %ld tokens, max |dNLL| = %.3g at token %ld (%.6f vs %.6f), %ld over %.3g, mean %.3g\n",
           bad ? "FAIL" : "ok", na, worst, worst_at + 1, a[worst_at], e[worst_at], bad, tol, mean);
    free(a);
    free(e);
    return bad ? 1 : 0;
}
