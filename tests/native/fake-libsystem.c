/*
 * A stand-in for the file calls of macOS's libSystem that src/ffi/libc.ts and libc-reads.ts bind
 * (lstat, stat, realpath, opendir, readdir, closedir, open, __error; readlink, access, read and
 * close are the same on both systems and come from glibc through this library's dependencies), so
 * their darwin decoding runs for real on Linux. The answers come from the Linux kernel and are
 * written in macOS's own `struct stat` and `struct dirent` layouts: the structs below are declared
 * field by field, with the types of <sys/stat.h> and <sys/dirent.h> (_DARWIN_FEATURE_64_BIT_INODE),
 * and laid out by the C compiler, so the offsets the bindings read are checked against a
 * compiler's layout rather than against their own arithmetic. Every field the bindings do not
 * read (st_gid, st_nlink, d_seekoff, …) is left as 0xA5 bytes: a read at a wrong offset gets
 * garbage, never a plausible value. open() takes macOS's flag numbers and refuses any other bit.
 *
 * Both macOS ABIs are exported: arm64's plain names and x86_64's suffixed ones ("lstat$INODE64",
 * "stat$INODE64", "opendir$INODE64", "readdir$INODE64", "realpath$DARWIN_EXTSN"). Switches make
 * it unkind: fake_libsystem_garbage(1) makes every stat answer garbage (a binding must then refuse
 * to trust the library); fake_libsystem_high_dirs(1) hands out DIR pointers above 2^53 (JavaScript
 * numbers cannot hold them; closedir must still get each one back exactly);
 * fake_libsystem_high_entries(1) returns dirent pointers above 2^53 that fault if read as they
 * are (a binding must not read them);
 * fake_libsystem_readdir_fails_after(n) fails readdir with EIO after n entries;
 * fake_libsystem_unknown_types(1) reports every d_type as DT_UNKNOWN, as some file systems do.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
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
  out->st_dev = (int32_t)in->st_dev;
  out->st_mode = (uint16_t)in->st_mode;
  out->st_ino = in->st_ino;
  out->st_uid = in->st_uid;
  out->st_mtimespec.tv_sec = in->st_mtim.tv_sec;
  out->st_mtimespec.tv_nsec = in->st_mtim.tv_nsec;
  out->st_ctimespec.tv_sec = in->st_ctim.tv_sec;
  out->st_ctimespec.tv_nsec = in->st_ctim.tv_nsec;
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

/* <sys/dirent.h> with 64-bit inodes (__DARWIN_STRUCT_DIRENTRY). */
struct darwin_dirent {
  uint64_t d_ino;
  uint64_t d_seekoff;
  uint16_t d_reclen;
  uint16_t d_namlen;
  uint8_t d_type;
  char d_name[1024];
};

struct fake_dir {
  DIR *real;
  int seen;
  struct darwin_dirent entry;
};

static int high_dirs;
static int high_entries;
static int fail_after = -1;
static int unknown_types;
static int open_dirs;
/* A tag in the pointer's top bits: the address stays recoverable, but no double holds it. */
static const uintptr_t HIGH_TAG = (uintptr_t)0x7A5 << 52;

void fake_libsystem_high_dirs(int on) { high_dirs = on; }
void fake_libsystem_high_entries(int on) { high_entries = on; }
void fake_libsystem_readdir_fails_after(int n) { fail_after = n; }
void fake_libsystem_unknown_types(int on) { unknown_types = on; }
/* How many dirs are open: every opendir must be matched by a closedir with the exact pointer. */
int fake_libsystem_open_dirs(void) { return open_dirs; }

static struct fake_dir *untag(void *dir) {
  uintptr_t p = (uintptr_t)dir;
  if (high_dirs) {
    if ((p & HIGH_TAG) != HIGH_TAG) abort();
    p &= ~HIGH_TAG;
  }
  return (struct fake_dir *)p;
}

static void *fake_opendir(const char *path) {
  DIR *(*real_opendir)(const char *) = (DIR * (*)(const char *)) dlsym(RTLD_NEXT, "opendir");
  DIR *real = real_opendir(path);
  if (real == NULL) return NULL;
  struct fake_dir *dir = calloc(1, sizeof *dir);
  dir->real = real;
  open_dirs++;
  return high_dirs ? (void *)((uintptr_t)dir | HIGH_TAG) : (void *)dir;
}

static struct darwin_dirent *fake_readdir(void *handle) {
  struct dirent *(*real_readdir)(DIR *) = (struct dirent * (*)(DIR *)) dlsym(RTLD_NEXT, "readdir");
  struct fake_dir *dir = untag(handle);
  if (fail_after >= 0 && dir->seen >= fail_after) {
    errno = EIO;
    return NULL;
  }
  struct dirent *in = real_readdir(dir->real);
  if (in == NULL) return NULL;
  dir->seen++;
  struct darwin_dirent *out = &dir->entry;
  memset(out, 0xA5, sizeof *out);
  size_t len = strlen(in->d_name);
  out->d_ino = in->d_ino;
  out->d_reclen = sizeof *out;
  out->d_namlen = (uint16_t)len;
  out->d_type = unknown_types ? DT_UNKNOWN : in->d_type;
  memcpy(out->d_name, in->d_name, len + 1);
  return high_entries ? (struct darwin_dirent *)((uintptr_t)out | HIGH_TAG) : out;
}

static int fake_closedir(void *handle) {
  int (*real_closedir)(DIR *) = (int (*)(DIR *))dlsym(RTLD_NEXT, "closedir");
  struct fake_dir *dir = untag(handle);
  int rc = real_closedir(dir->real);
  free(dir);
  open_dirs--;
  return rc;
}

DIR *opendir(const char *path) { return (DIR *)fake_opendir(path); }
struct dirent *readdir(DIR *dir) { return (struct dirent *)fake_readdir(dir); }
int closedir(DIR *dir) { return fake_closedir(dir); }

void *opendir_inode64(const char *path) __asm__("opendir$INODE64");
void *opendir_inode64(const char *path) { return fake_opendir(path); }
struct darwin_dirent *readdir_inode64(void *dir) __asm__("readdir$INODE64");
struct darwin_dirent *readdir_inode64(void *dir) { return fake_readdir(dir); }

/* macOS's <sys/fcntl.h> numbers. */
#define DARWIN_O_ACCMODE 0x3
#define DARWIN_O_NONBLOCK 0x4
#define DARWIN_O_NOFOLLOW 0x100
#define DARWIN_O_CLOEXEC 0x1000000

int open(const char *path, int flags, ...) {
  int known = DARWIN_O_ACCMODE | DARWIN_O_NONBLOCK | DARWIN_O_NOFOLLOW | DARWIN_O_CLOEXEC;
  if ((flags & ~known) != 0) {
    errno = EINVAL;
    return -1;
  }
  int linux_flags = flags & DARWIN_O_ACCMODE;
  if (flags & DARWIN_O_NONBLOCK) linux_flags |= O_NONBLOCK;
  if (flags & DARWIN_O_NOFOLLOW) linux_flags |= O_NOFOLLOW;
  if (flags & DARWIN_O_CLOEXEC) linux_flags |= O_CLOEXEC;
  return openat(AT_FDCWD, path, linux_flags);
}
