/**
 * @file fuzz/regression_main.c
 * @brief Corpus replayer: a main() that runs a fuzz target's
 *        LLVMFuzzerTestOneInput once on every file it is given.
 *
 *     fuzz_pool_ops_regress fuzz/corpus/pool_ops [more dirs or files...]
 *
 * Directories are read recursively, in sorted order; names starting with '.'
 * are skipped, and so are arguments starting with '-' (libFuzzer options), so
 * a libFuzzer command line replays unchanged. Each input is copied into a
 * buffer of exactly its size, so sanitizers catch reads past its end.
 *
 * Exit status: 0 when every input ran, 1 when a file could not be read or no
 * input was found (an empty corpus is a mistake, not a pass). A finding in a
 * target aborts the process; the name of the input is printed just before it
 * runs.
 *
 * Built with any compiler, so the corpora are replayed by CTest even where
 * libFuzzer does not exist. Uses POSIX <dirent.h> and <sys/stat.h>, like the
 * rest of the fuzz and bench code (the library keeps OS headers in src/os/).
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_helpers.h"

// A growable list of file paths.
typedef struct path_list {
  char **items;
  size_t count;
  size_t cap;
} path_list_t;

static int path_list_add(path_list_t *list, const char *path) {
  char *copy = NULL;
  if (list->count == list->cap) {
    size_t cap = list->cap != 0 ? list->cap * 2 : 64;
    char **items = realloc(list->items, cap * sizeof(*items));
    if (items == NULL) return -1;
    list->items = items;
    list->cap = cap;
  }
  copy = malloc(strlen(path) + 1);
  if (copy == NULL) return -1;
  strcpy(copy, path);
  list->items[list->count++] = copy;
  return 0;
}

static void path_list_free(path_list_t *list) {
  size_t i;
  for (i = 0; i < list->count; i++) free(list->items[i]);
  free(list->items);
}

static int path_compare(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

// Adds @p path, or every file under it when it is a directory. Returns 0, or
// -1 after printing why on a path that cannot be read.
static int collect(path_list_t *list, const char *path) {
  struct stat st;
  DIR *dir = NULL;
  struct dirent *ent = NULL;
  char *child = NULL;
  int rc = 0;

  if (stat(path, &st) != 0) {
    fprintf(stderr, "regression: cannot stat %s: %s\n", path, strerror(errno));
    return -1;
  }
  if (!S_ISDIR(st.st_mode)) return path_list_add(list, path);

  dir = opendir(path);
  if (dir == NULL) {
    fprintf(stderr, "regression: cannot open %s: %s\n", path, strerror(errno));
    return -1;
  }
  while ((ent = readdir(dir)) != NULL) {
    size_t len = 0;
    if (ent->d_name[0] == '.') continue;
    len = strlen(path) + 1 + strlen(ent->d_name) + 1;
    child = malloc(len);
    if (child == NULL) {
      rc = -1;
      break;
    }
    snprintf(child, len, "%s/%s", path, ent->d_name);
    rc = collect(list, child);
    free(child);
    child = NULL;
    if (rc != 0) break;
  }
  closedir(dir);
  return rc;
}

// Reads a whole file into a malloc'd buffer of exactly its size (one byte
// for an empty file, which is passed with size 0).
static uint8_t *read_file(const char *path, size_t *size) {
  FILE *f = NULL;
  uint8_t *buf = NULL;
  long len = 0;

  f = fopen(path, "rb");
  if (f == NULL) goto fail;
  if (fseek(f, 0, SEEK_END) != 0) goto fail;
  len = ftell(f);
  if (len < 0 || fseek(f, 0, SEEK_SET) != 0) goto fail;
  buf = malloc(len > 0 ? (size_t)len : 1);
  if (buf == NULL) goto fail;
  if (len > 0 && fread(buf, 1, (size_t)len, f) != (size_t)len) goto fail;
  fclose(f);
  *size = (size_t)len;
  return buf;

fail:
  fprintf(stderr, "regression: cannot read %s\n", path);
  free(buf);
  if (f != NULL) fclose(f);
  return NULL;
}

int main(int argc, char **argv) {
  path_list_t list = {NULL, 0, 0};
  size_t i;
  int failed = 0;
  int a;

#ifdef KP_FUZZ_HAVE_INITIALIZE
  LLVMFuzzerInitialize(&argc, &argv);
#endif

  for (a = 1; a < argc; a++) {
    if (argv[a][0] == '-') continue;
    if (collect(&list, argv[a]) != 0) failed = 1;
  }
  if (list.count == 0) {
    fprintf(stderr, "regression: no input files (usage: %s <dir|file>...)\n",
            argv[0]);
    failed = 1;
  }
  if (list.count > 1)
    qsort(list.items, list.count, sizeof(*list.items), path_compare);

  for (i = 0; i < list.count; i++) {
    size_t size = 0;
    uint8_t *data = read_file(list.items[i], &size);
    if (data == NULL) {
      failed = 1;
      continue;
    }
    // Printed before the run: when a target aborts, the last name shown is
    // the input that did it.
    printf("running %s (%zu bytes)\n", list.items[i], size);
    fflush(stdout);
    LLVMFuzzerTestOneInput(data, size);
    free(data);
  }

  printf("regression: %zu input%s run%s\n", list.count,
         list.count == 1 ? "" : "s", failed ? ", with errors" : "");
  path_list_free(&list);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
