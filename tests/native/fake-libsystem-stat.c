/*
 * A stand-in for the file calls of macOS's libSystem that src/ffi/libc.ts binds (lstat, stat,
 * realpath, __error), so its darwin decoding runs for real on Linux. The answers come from the
 * Linux kernel and are written in macOS's own `struct stat` layout: the struct below is declared
 * field by field, with the types of <sys/stat.h> (_DARWIN_FEATURE_64_BIT_INODE), and laid out by
 * the C compiler, so the offsets the binding reads are checked against a compiler's layout rather
 * than against the binding's own arithmetic. Every other field (st_gid and st_nlink included) is
 * left as 0xA5 bytes: a read at a wrong offset gets garbage, never a plausible value.
 *
 * Both macOS ABIs are exported: arm64's plain names and x86_64's suffixed ones ("lstat$INODE64",
 * "stat$INODE64", "realpath$DARWIN_EXTSN"). fake_libsystem_garbage(1) makes every stat answer
 * garbage (a binding must then refuse to trust the library).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct darwin_timespec {
  int64_t tv_sec;
  int64_t tv_nsec;
};

struct darwin_stat {
  int32_t st_dev;            /* dev_t */
  uint16_t st_mode;          /* mode_t */
  uint16_t st_nlink;         /* nlink_t */
  uint64_t st_ino;           /* __darwin_ino64_t */
  uint32_t st_uid;           /* uid_t */
  uint32_t st_gid;           /* gid_t */
  int32_t st_rdev;           /* dev_t */
  struct darwin_timespec st_atimespec;
  struct darwin_timespec st_mtimespec;
  struct darwin_timespec st_ctimespec;
  struct darwin_timespec st_birthtimespec;
  int64_t st_size;           /* off_t */
  int64_t st_blocks;         /* blkcnt_t */
  int32_t st_blksize;        /* blksize_t */
  uint32_t st_flags;
  uint32_t st_gen;
  int32_t st_lspare;
  int64_t st_qspare[2];
};

_Static_assert(sizeof(struct darwin_stat) == 144, "macOS's struct stat is 144 bytes");

static int garbage;

void fake_libsystem_garbage(int on) { garbage = on; }

static int fill(int rc, const struct stat *in, struct darwin_stat *out) {
  if (rc != 0) return -1;
  memset(out, 0xA5, sizeof *out);
  if (garbage) return 0;
  /* Only what the binding reads is real; its neighbours keep the garbage. */
  out->st_mode = (uint16_t)in->st_mode;
  out->st_uid = in->st_uid;
  out->st_size = in->st_size;
  return 0;
}

static int fake_lstat(const char *path, struct darwin_stat *out) {
  struct stat st;
  return fill(fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW), &st, out);
}

static int fake_stat(const char *path, struct darwin_stat *out) {
  struct stat st;
  return fill(fstatat(AT_FDCWD, path, &st, 0), &st, out);
}

static char *fake_realpath(const char *path, char *resolved) {
  char *(*real)(const char *, char *) = (char *(*)(const char *, char *))dlsym(RTLD_NEXT, "realpath");
  return real(path, resolved);
}

int lstat(const char *path, struct stat *out) { return fake_lstat(path, (struct darwin_stat *)out); }
int stat(const char *path, struct stat *out) { return fake_stat(path, (struct darwin_stat *)out); }
char *realpath(const char *path, char *resolved) { return fake_realpath(path, resolved); }

int lstat_inode64(const char *path, struct darwin_stat *out) __asm__("lstat$INODE64");
int lstat_inode64(const char *path, struct darwin_stat *out) { return fake_lstat(path, out); }
int stat_inode64(const char *path, struct darwin_stat *out) __asm__("stat$INODE64");
int stat_inode64(const char *path, struct darwin_stat *out) { return fake_stat(path, out); }
char *realpath_extsn(const char *path, char *resolved) __asm__("realpath$DARWIN_EXTSN");
char *realpath_extsn(const char *path, char *resolved) { return fake_realpath(path, resolved); }

int *__error(void) { return &errno; }
