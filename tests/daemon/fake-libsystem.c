/*
 * A stand-in for the three libSystem calls src/ffi/sysctl.ts binds (proc_listallpids,
 * proc_pidinfo with PROC_PIDTBSDINFO, sysctl KERN_ARGMAX / KERN_PROCARGS2), answered from Linux's
 * /proc in macOS's layouts, so the binding runs against real processes on Linux.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define FAKE_ARGMAX 262144
#define PROC_PIDTBSDINFO 3
#define PROC_BSDINFO_SIZE 136

static ssize_t read_file(const char *path, char *buf, size_t cap) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  size_t n = 0;
  ssize_t r;
  while (n < cap && (r = read(fd, buf + n, cap - n)) > 0) n += (size_t)r;
  close(fd);
  return (ssize_t)n;
}

int proc_listallpids(void *buffer, int buffersize) {
  DIR *d = opendir("/proc");
  if (!d) return -1;
  int count = 0;
  int cap = buffer ? buffersize / (int)sizeof(int) : 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    char *end;
    long pid = strtol(e->d_name, &end, 10);
    if (*end != '\0' || pid <= 0) continue;
    if (buffer) {
      if (count >= cap) break;
      ((int *)buffer)[count] = (int)pid;
    }
    count++;
  }
  closedir(d);
  return count;
}

int proc_pidinfo(int pid, int flavor, uint64_t arg, void *buffer, int buffersize) {
  (void)arg;
  if (flavor != PROC_PIDTBSDINFO || buffersize < PROC_BSDINFO_SIZE) {
    errno = EINVAL;
    return 0;
  }
  char path[64], stat[4096];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  ssize_t n = read_file(path, stat, sizeof stat - 1);
  if (n <= 0) return 0;
  stat[n] = '\0';
  char *close_paren = strrchr(stat, ')');
  if (!close_paren) return 0;
  char state;
  int ppid;
  if (sscanf(close_paren + 2, "%c %d", &state, &ppid) != 2) return 0;
  memset(buffer, 0, PROC_BSDINFO_SIZE);
  uint32_t *words = buffer;
  words[3] = (uint32_t)pid;  /* pbi_pid, offset 12 */
  words[4] = (uint32_t)ppid; /* pbi_ppid, offset 16 */
  return PROC_BSDINFO_SIZE;
}

static char cmd_buf[FAKE_ARGMAX], env_buf[FAKE_ARGMAX];

int sysctl(int *name, unsigned namelen, void *oldp, size_t *oldlenp, void *newp, size_t newlen) {
  (void)newp;
  (void)newlen;
  if (namelen == 2 && name[0] == 1 && name[1] == 8) {
    if (*oldlenp < sizeof(int)) {
      errno = ENOMEM;
      return -1;
    }
    *(int *)oldp = FAKE_ARGMAX;
    *oldlenp = sizeof(int);
    return 0;
  }
  if (namelen == 3 && name[0] == 1 && name[1] == 49) {
    char path[64], exe[4096];
    snprintf(path, sizeof path, "/proc/%d/cmdline", name[2]);
    ssize_t nc = read_file(path, cmd_buf, sizeof cmd_buf);
    snprintf(path, sizeof path, "/proc/%d/environ", name[2]);
    ssize_t ne = read_file(path, env_buf, sizeof env_buf);
    if (nc < 0 || ne < 0) {
      errno = EINVAL;
      return -1;
    }
    snprintf(path, sizeof path, "/proc/%d/exe", name[2]);
    ssize_t nx = readlink(path, exe, sizeof exe - 1);
    if (nx < 0) nx = 0;
    int argc = 0;
    for (ssize_t i = 0; i < nc; i++)
      if (cmd_buf[i] == '\0') argc++;
    size_t need = 4 + (size_t)nx + 8 + (size_t)nc + (size_t)ne + 1;
    if (need > *oldlenp) {
      errno = ENOMEM;
      return -1;
    }
    char *out = oldp;
    size_t p = 0;
    memcpy(out, &argc, 4);
    p += 4;
    memcpy(out + p, exe, (size_t)nx);
    p += (size_t)nx;
    /* The exec path's NUL, then padding to the next 8-byte boundary, as macOS does. */
    do out[p++] = '\0';
    while (p % 8 != 0);
    memcpy(out + p, cmd_buf, (size_t)nc);
    p += (size_t)nc;
    memcpy(out + p, env_buf, (size_t)ne);
    p += (size_t)ne;
    out[p++] = '\0';
    *oldlenp = p;
    return 0;
  }
  errno = ENOENT;
  return -1;
}
