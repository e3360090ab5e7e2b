#include "file_read.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* When st_size says nothing (pipes, /proc), start small: most such files are
 * a few kilobytes. */
#define READ_FIRST_CHUNK 4096

/* Room for max_bytes of content, one byte more to see that the file goes on,
 * and the NUL: a buffer never needs to be larger than this. */
static size_t buffer_limit(size_t max_bytes) {
    return max_bytes <= SIZE_MAX - 2 ? max_bytes + 2 : SIZE_MAX;
}

/* The first buffer: the whole file plus room to meet EOF when st_size can be
 * believed, so a regular file is read without a single realloc. */
static size_t first_capacity(const struct stat *sb, size_t limit) {
    size_t want = READ_FIRST_CHUNK;
    if (S_ISREG(sb->st_mode) && sb->st_size > 0 && (uintmax_t)sb->st_size < SIZE_MAX - 2)
        want = (size_t)sb->st_size + 2;
    return want < limit ? want : limit;
}

/* Doubles *buf up to limit; on failure *buf is left as it was, for the caller
 * to free. */
static int grow_buffer(unsigned char **buf, size_t *cap, size_t limit) {
    size_t c = *cap <= limit / 2 ? *cap * 2 : limit;
    unsigned char *p = realloc(*buf, c);
    if (!p) return -1;
    *buf = p;
    *cap = c;
    return 0;
}

/* Reads fd to EOF into *buf (capacity *cap). Returns 0, or -1 with err set. */
static int read_to_eof(int fd, const char *path, size_t max_bytes, unsigned char **buf, size_t *cap,
                       size_t *len, SwanError *err) {
    size_t limit = buffer_limit(max_bytes), n = 0;
    for (;;) {
        if (*cap - n < 2) { /* keep a byte for the NUL */
            if (*cap == limit) return swan_error_set(err, "%s: larger than %zu bytes", path, max_bytes);
            if (grow_buffer(buf, cap, limit) != 0)
                return swan_error_set(err, "%s: out of memory reading it", path);
        }
        ssize_t got = read(fd, *buf + n, *cap - n - 1);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return swan_error_set(err, "%s: read error: %s", path, strerror(errno));
        if (got == 0) break;
        n += (size_t)got;
    }
    if (n > max_bytes) return swan_error_set(err, "%s: larger than %zu bytes", path, max_bytes);
    *len = n;
    return 0;
}

/* What fstat alone can refuse, before any memory is taken. */
static int check_stat(int fd, const char *path, size_t max_bytes, struct stat *sb, SwanError *err) {
    if (fstat(fd, sb) != 0) return swan_error_set(err, "%s: cannot stat: %s", path, strerror(errno));
    if (S_ISDIR(sb->st_mode)) return swan_error_set(err, "%s: is a directory", path);
    if (S_ISREG(sb->st_mode) && (uintmax_t)sb->st_size > max_bytes)
        return swan_error_set(err, "%s: larger than %zu bytes (%lld)", path, max_bytes,
                              (long long)sb->st_size);
    return 0;
}

int swan_read_file(const char *path, size_t max_bytes, unsigned char **buf, size_t *len,
                   SwanError *err) {
    int fd;
    do fd = open(path, O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) return swan_error_set(err, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    size_t cap = 0, n = 0;
    unsigned char *data = NULL;
    int rc = check_stat(fd, path, max_bytes, &sb, err);
    if (rc == 0) {
        cap = first_capacity(&sb, buffer_limit(max_bytes));
        data = malloc(cap);
        rc = data ? read_to_eof(fd, path, max_bytes, &data, &cap, &n, err)
                  : swan_error_set(err, "%s: out of memory reading it", path);
    }
    close(fd);
    if (rc != 0) {
        free(data);
        return -1;
    }
    data[n] = '\0';
    *buf = data;
    *len = n;
    return 0;
}
