/* Unit tests for swan_read_file: the cases its callers rely on, including
 * a file whose st_size (0) does not tell its length. Writes its files into a
 * temporary directory it removes at the end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_read.h"

#include "check.h"

static char tmp_root[256];

/* tmp_root/name, written with len bytes of content. */
static void write_file(char *path, size_t size, const char *name, const char *content, size_t len) {
    snprintf(path, size, "%s/%s", tmp_root, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(content, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        exit(2);
    }
}

/* A failure must name the path and the problem, and leave *buf alone. */
static void check_failure(const char *path, size_t max, const char *problem) {
    unsigned char *buf = (unsigned char *)"untouched";
    size_t len = 12345;
    SwanError err = {{0}};
    int rc = swan_read_file(path, max, &buf, &len, &err);
    CHECK(rc == -1, "%s: rc %d, expected -1", path, rc);
    CHECK(strstr(err.msg, path) && strstr(err.msg, problem), "%s: message '%s' lacks '%s'", path,
          err.msg, problem);
    CHECK(!strcmp((const char *)buf, "untouched") && len == 12345, "%s: outputs changed on failure",
          path);
}

static void test_normal(void) {
    static const char text[] = "hello,\nworld\n";
    char path[512];
    write_file(path, sizeof path, "normal.txt", text, sizeof text - 1);
    unsigned char *buf = NULL;
    size_t len = 0;
    SwanError err = {{0}};
    int rc = swan_read_file(path, 1024, &buf, &len, &err);
    CHECK(rc == 0, "normal file: %s", err.msg);
    CHECK(rc == 0 && len == sizeof text - 1 && !memcmp(buf, text, len), "normal file: content differs");
    CHECK(rc == 0 && buf[len] == '\0', "normal file: no NUL past the end");
    free(buf);
    /* Exactly max_bytes is still allowed. */
    rc = swan_read_file(path, sizeof text - 1, &buf, &len, &err);
    CHECK(rc == 0 && len == sizeof text - 1, "file of exactly max_bytes: %s", err.msg);
    if (rc == 0) free(buf);
    unlink(path);
}

static void test_empty(void) {
    char path[512];
    write_file(path, sizeof path, "empty.txt", "", 0);
    unsigned char *buf = NULL;
    size_t len = 99;
    SwanError err = {{0}};
    int rc = swan_read_file(path, 0, &buf, &len, &err);
    CHECK(rc == 0 && len == 0, "empty file: rc %d len %zu: %s", rc, len, err.msg);
    CHECK(rc == 0 && buf && buf[0] == '\0', "empty file: no NUL-terminated buffer");
    free(buf);
    unlink(path);
}

static void test_missing(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/no-such-file", tmp_root);
    check_failure(path, 1024, "cannot open");
}

static void test_directory(void) {
    check_failure(tmp_root, 1024, "is a directory");
}

static void test_too_large(void) {
    char path[512];
    write_file(path, sizeof path, "large.txt", "0123456789", 10);
    check_failure(path, 9, "larger than 9 bytes");
    check_failure(path, 0, "larger than 0 bytes");
    unlink(path);
}

/* st_size 0, yet the file has content: only reading to EOF finds it. */
static void test_proc(void) {
    const char *path = "/proc/self/status";
    struct stat sb;
    if (stat(path, &sb) != 0) {
        printf("skipped: no %s\n", path);
        return;
    }
    unsigned char *buf = NULL;
    size_t len = 0;
    SwanError err = {{0}};
    int rc = swan_read_file(path, 1 << 20, &buf, &len, &err);
    CHECK(rc == 0, "%s: %s", path, err.msg);
    CHECK(rc == 0 && len > 0 && buf[len] == '\0', "%s: st_size %lld, read %zu bytes", path,
          (long long)sb.st_size, len);
    CHECK(rc == 0 && !strncmp((const char *)buf, "Name:", 5) && strstr((const char *)buf, "\nPid:"),
          "%s: not the status text", path);
    if (rc == 0) free(buf);
    /* The limit holds when st_size cannot tell it in advance. */
    check_failure(path, 16, "larger than 16 bytes");
}

int main(void) {
    const char *tmp = getenv("TMPDIR");
    snprintf(tmp_root, sizeof tmp_root, "%s/swan_test_file_read.XXXXXX", tmp ? tmp : "/tmp");
    if (!mkdtemp(tmp_root)) {
        perror(tmp_root);
        return 2;
    }
    test_normal();
    test_empty();
    test_missing();
    test_directory();
    test_too_large();
    test_proc();
    rmdir(tmp_root);
    return check_summary();
}
