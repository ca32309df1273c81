/*
 * A stand-in for the subset of CoreFoundation and Security.framework that cc-pool's Keychain
 * adapter binds, so the bun:ffi code runs for real on Linux. Same function and data symbol names,
 * real semantics for that subset:
 *
 * - CF objects are reference counted; every object created or copied is counted live until its
 *   last CFRelease (fake_live_objects()). Memory of released objects is never reused, so a double
 *   release or a release of a borrowed value is detected (fake_bad_releases()).
 * - Generic-password items are files in $FAKE_KEYCHAIN_DIR (or the dir given to fake_set_dir()):
 *   <hex(service)>_<hex(account)>.item holds the data, an optional .flags file beside it holds
 *   words that simulate Keychain reality: "interaction" (data readable only by the security tool;
 *   a framework read needs a prompt), "denied" (framework data read fails with errSecAuthFailed),
 *   "locked" (every framework query needs a prompt). The stand-in `security` tool shares the dir.
 * - A query that would show a dialog (no kSecUseAuthenticationUIFail) logs "lib PROMPT <service>"
 *   and fails with userCanceled instead of blocking.
 * - Every service name touched is appended to <dir>/touched.log as "lib <op> <service>".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef int32_t OSStatus;
typedef long CFIndex;
typedef unsigned long CFTypeID;
typedef unsigned char Boolean;
typedef uint32_t CFStringEncoding;

enum { errSecSuccess = 0, errSecParam = -50, errSecUserCanceled = -128, errSecAllocate = -108,
       errSecNotAvailable = -25291, errSecAuthFailed = -25293, errSecDuplicateItem = -25299,
       errSecItemNotFound = -25300, errSecInteractionNotAllowed = -25308, errSecIO = -36 };

#define kCFStringEncodingUTF8 0x08000100u
#define OBJ_MAGIC 0x43464f42u
#define DEAD_MAGIC 0xdeadbeefu

enum { T_STRING = 7, T_DATA = 20, T_DICT = 18, T_BOOL = 21 };

typedef struct Obj {
  uint32_t magic;
  uint32_t type;
  int32_t refs;
  int is_static;
  size_t len;
  unsigned char *bytes;
  CFIndex count;
  struct Obj **keys;
  struct Obj **values;
  int retains_children;
} Obj;

typedef struct {
  CFIndex version;
  const void *retain, *release, *copyDescription, *equal, *hash;
} CFDictionaryKeyCallBacks;
typedef struct {
  CFIndex version;
  const void *retain, *release, *copyDescription, *equal;
} CFDictionaryValueCallBacks;

static long live_objects = 0;
static long bad_releases = 0;
static char dir_override[4096] = "";

#define STATIC_STRING(var, text) \
  static Obj var##_obj = {OBJ_MAGIC, T_STRING, 1, 1, sizeof(text) - 1, (unsigned char *)text, 0, 0, 0, 0}; \
  const void *const var = &var##_obj;

STATIC_STRING(kSecClass, "class")
STATIC_STRING(kSecClassGenericPassword, "genp")
STATIC_STRING(kSecAttrService, "svce")
STATIC_STRING(kSecAttrAccount, "acct")
STATIC_STRING(kSecReturnAttributes, "r_Attributes")
STATIC_STRING(kSecReturnData, "r_Data")
STATIC_STRING(kSecMatchLimit, "m_Limit")
STATIC_STRING(kSecMatchLimitOne, "m_LimitOne")
STATIC_STRING(kSecUseAuthenticationUI, "u_AuthUI")
STATIC_STRING(kSecUseAuthenticationUIFail, "u_AuthUIF")
STATIC_STRING(kSecValueData, "v_Data")

static Obj true_obj = {OBJ_MAGIC, T_BOOL, 1, 1, 0, 0, 0, 0, 0, 0};
const void *const kCFBooleanTrue = &true_obj;
static Obj false_obj = {OBJ_MAGIC, T_BOOL, 1, 1, 0, 0, 0, 0, 0, 0};
const void *const kCFBooleanFalse = &false_obj;

/* Only their addresses matter: a dictionary created with them retains its keys and values. */
const CFDictionaryKeyCallBacks kCFTypeDictionaryKeyCallBacks = {0, (void *)1, (void *)1, 0, (void *)1, (void *)1};
const CFDictionaryValueCallBacks kCFTypeDictionaryValueCallBacks = {0, (void *)1, (void *)1, 0, (void *)1};

/* ---- test hooks ---- */

long fake_live_objects(void) { return live_objects; }
long fake_bad_releases(void) { return bad_releases; }
void fake_set_dir(const char *dir) {
  snprintf(dir_override, sizeof dir_override, "%s", dir ? dir : "");
}

static const char *keychain_dir(void) {
  if (dir_override[0]) return dir_override;
  const char *env = getenv("FAKE_KEYCHAIN_DIR");
  return env && env[0] ? env : NULL;
}

/* ---- CoreFoundation ---- */

static int valid(const Obj *o) { return o && o->magic == OBJ_MAGIC; }

static Obj *new_obj(uint32_t type) {
  Obj *o = calloc(1, sizeof(Obj));
  if (!o) return NULL;
  o->magic = OBJ_MAGIC;
  o->type = type;
  o->refs = 1;
  live_objects++;
  return o;
}

static Obj *new_bytes(uint32_t type, const unsigned char *bytes, size_t len) {
  Obj *o = new_obj(type);
  if (!o) return NULL;
  o->bytes = malloc(len + 1);
  if (len) memcpy(o->bytes, bytes, len);
  o->bytes[len] = 0;
  o->len = len;
  return o;
}

static void retain_obj(Obj *o) {
  if (valid(o) && !o->is_static) o->refs++;
}

void CFRelease(const void *cf) {
  Obj *o = (Obj *)cf;
  if (!valid(o)) {
    bad_releases++;
    return;
  }
  if (o->is_static) return;
  if (--o->refs > 0) return;
  if (o->type == T_DICT && o->retains_children) {
    for (CFIndex i = 0; i < o->count; i++) {
      CFRelease(o->keys[i]);
      CFRelease(o->values[i]);
    }
  }
  /* Never freed: a later release of this address must be caught, not hit reused memory. */
  o->magic = DEAD_MAGIC;
  live_objects--;
}

CFTypeID CFGetTypeID(const void *cf) { return valid(cf) ? ((const Obj *)cf)->type : 0; }
CFTypeID CFStringGetTypeID(void) { return T_STRING; }
CFTypeID CFDataGetTypeID(void) { return T_DATA; }
CFTypeID CFDictionaryGetTypeID(void) { return T_DICT; }

const void *CFStringCreateWithCString(const void *alloc, const char *cstr, CFStringEncoding encoding) {
  (void)alloc;
  if (!cstr || encoding != kCFStringEncodingUTF8) return NULL;
  return new_bytes(T_STRING, (const unsigned char *)cstr, strlen(cstr));
}

CFIndex CFStringGetLength(const void *str) {
  const Obj *o = str;
  return valid(o) && o->type == T_STRING ? (CFIndex)o->len : 0;
}

CFIndex CFStringGetMaximumSizeForEncoding(CFIndex length, CFStringEncoding encoding) {
  return encoding == kCFStringEncodingUTF8 ? length * 3 : -1;
}

Boolean CFStringGetCString(const void *str, char *buffer, CFIndex size, CFStringEncoding encoding) {
  const Obj *o = str;
  if (!valid(o) || o->type != T_STRING || encoding != kCFStringEncodingUTF8 || !buffer) return 0;
  if ((CFIndex)o->len + 1 > size) return 0;
  memcpy(buffer, o->bytes, o->len + 1);
  return 1;
}

const void *CFDataCreate(const void *alloc, const unsigned char *bytes, CFIndex length) {
  (void)alloc;
  if (length < 0 || (length > 0 && !bytes)) return NULL;
  return new_bytes(T_DATA, bytes, (size_t)length);
}

const unsigned char *CFDataGetBytePtr(const void *data) {
  const Obj *o = data;
  return valid(o) && o->type == T_DATA ? o->bytes : NULL;
}

CFIndex CFDataGetLength(const void *data) {
  const Obj *o = data;
  return valid(o) && o->type == T_DATA ? (CFIndex)o->len : 0;
}

const void *CFDictionaryCreate(const void *alloc, const void **keys, const void **values, CFIndex count,
                               const CFDictionaryKeyCallBacks *key_cb, const CFDictionaryValueCallBacks *value_cb) {
  (void)alloc;
  /* Only the real callback structs (by address) or none at all: anything else is a binding bug. */
  int typed = key_cb == &kCFTypeDictionaryKeyCallBacks && value_cb == &kCFTypeDictionaryValueCallBacks;
  if (!typed && (key_cb || value_cb)) return NULL;
  if (count < 0 || (count > 0 && (!keys || !values))) return NULL;
  for (CFIndex i = 0; i < count; i++)
    if (!valid(keys[i]) || !valid(values[i])) return NULL;
  Obj *d = new_obj(T_DICT);
  if (!d) return NULL;
  d->count = count;
  d->keys = calloc((size_t)count + 1, sizeof(Obj *));
  d->values = calloc((size_t)count + 1, sizeof(Obj *));
  d->retains_children = typed;
  for (CFIndex i = 0; i < count; i++) {
    d->keys[i] = (Obj *)keys[i];
    d->values[i] = (Obj *)values[i];
    if (typed) {
      retain_obj(d->keys[i]);
      retain_obj(d->values[i]);
    }
  }
  return d;
}

static int same_string(const Obj *a, const Obj *b) {
  return valid(a) && valid(b) && a->type == T_STRING && b->type == T_STRING && a->len == b->len &&
         memcmp(a->bytes, b->bytes, a->len) == 0;
}

const void *CFDictionaryGetValue(const void *dict, const void *key) {
  const Obj *d = dict;
  if (!valid(d) || d->type != T_DICT) return NULL;
  for (CFIndex i = 0; i < d->count; i++)
    if (d->keys[i] == key || same_string(d->keys[i], key)) return d->values[i];
  return NULL;
}

/* ---- item storage ---- */

static void hex_encode(const unsigned char *in, size_t len, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < len; i++) {
    out[2 * i] = digits[in[i] >> 4];
    out[2 * i + 1] = digits[in[i] & 15];
  }
  out[2 * len] = 0;
}

static void log_touch(const char *op, const Obj *service) {
  const char *dir = keychain_dir();
  if (!dir) return;
  char path[4200];
  snprintf(path, sizeof path, "%s/touched.log", dir);
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (fd < 0) return;
  char line[1200];
  int n = snprintf(line, sizeof line, "lib %s %.*s\n", op, service ? (int)service->len : 6,
                   service ? (const char *)service->bytes : "(none)");
  if (n > 0) (void)!write(fd, line, (size_t)n);
  close(fd);
}

/* <dir>/<hex(service)>_ ; the caller appends hex(account) and a suffix. */
static int item_prefix(const Obj *service, char *out, size_t size) {
  const char *dir = keychain_dir();
  if (!dir || service->len > 400) return 0;
  char hex[801];
  hex_encode(service->bytes, service->len, hex);
  return snprintf(out, size, "%s/%s_", dir, hex) < (int)size;
}

static int item_base(const Obj *service, const Obj *account, char *out, size_t size) {
  if (!item_prefix(service, out, size) || account->len > 400) return 0;
  char hex[801];
  hex_encode(account->bytes, account->len, hex);
  size_t used = strlen(out);
  return snprintf(out + used, size - used, "%s", hex) < (int)(size - used);
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* Finds the first item (by name order) of a service, optionally of one account. */
static int find_item(const Obj *service, const Obj *account, char *base, size_t size, Obj **found_account) {
  if (account) {
    if (!item_base(service, account, base, size)) return 0;
    char path[4400];
    snprintf(path, sizeof path, "%s.item", base);
    if (access(path, F_OK) != 0) return 0;
    if (found_account) {
      *found_account = (Obj *)account;
      retain_obj(*found_account);
    }
    return 1;
  }
  char prefix[4200];
  if (!item_prefix(service, prefix, sizeof prefix)) return 0;
  const char *name_prefix = strrchr(prefix, '/') + 1;
  DIR *d = opendir(keychain_dir());
  if (!d) return 0;
  char best[1024] = "";
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t n = strlen(e->d_name);
    if (strncmp(e->d_name, name_prefix, strlen(name_prefix)) != 0) continue;
    if (n < 5 || strcmp(e->d_name + n - 5, ".item") != 0) continue;
    if (!best[0] || strcmp(e->d_name, best) < 0) snprintf(best, sizeof best, "%s", e->d_name);
  }
  closedir(d);
  if (!best[0]) return 0;
  const char *acct_hex = best + strlen(name_prefix);
  size_t acct_hex_len = strlen(acct_hex) - 5;
  unsigned char acct[512];
  size_t acct_len = acct_hex_len / 2;
  if (acct_len >= sizeof acct) return 0;
  for (size_t i = 0; i < acct_len; i++) acct[i] = (unsigned char)(hex_value(acct_hex[2 * i]) * 16 + hex_value(acct_hex[2 * i + 1]));
  Obj *a = new_bytes(T_STRING, acct, acct_len);
  int ok = item_base(service, a, base, size);
  if (ok && found_account) *found_account = a;
  else CFRelease(a);
  return ok;
}

static int has_flag(const char *base, const char *flag) {
  char path[4400];
  snprintf(path, sizeof path, "%s.flags", base);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  char word[64];
  int found = 0;
  while (fscanf(f, "%63s", word) == 1)
    if (strcmp(word, flag) == 0) found = 1;
  fclose(f);
  return found;
}

static Obj *read_item(const char *base) {
  char path[4400];
  snprintf(path, sizeof path, "%s.item", base);
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  unsigned char buf[65536];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  return new_bytes(T_DATA, buf, n);
}

/* Atomic for concurrent processes: temp file, then link (add) or rename (update). */
static OSStatus write_item(const char *base, const Obj *data, int must_not_exist) {
  char path[4400], temp[4500];
  snprintf(path, sizeof path, "%s.item", base);
  snprintf(temp, sizeof temp, "%s.%ld.%d.tmp", base, (long)getpid(), rand());
  int fd = open(temp, O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return errSecIO;
  ssize_t written = data->len ? write(fd, data->bytes, data->len) : 0;
  close(fd);
  if (written != (ssize_t)data->len) {
    unlink(temp);
    return errSecIO;
  }
  int rc = must_not_exist ? link(temp, path) : rename(temp, path);
  int err = errno;
  if (must_not_exist || rc != 0) unlink(temp);
  if (rc != 0) return must_not_exist && err == EEXIST ? errSecDuplicateItem : errSecIO;
  return errSecSuccess;
}

/* ---- Security ---- */

typedef struct {
  const Obj *service, *account, *data;
  int return_attributes, return_data, ui_fail, match_one;
} Query;

static OSStatus parse_query(const void *dict, Query *q, int need_class) {
  memset(q, 0, sizeof *q);
  const Obj *d = dict;
  if (!valid(d) || d->type != T_DICT) return errSecParam;
  const Obj *cls = CFDictionaryGetValue(d, kSecClass);
  if (need_class && !same_string(cls, kSecClassGenericPassword)) return errSecParam;
  q->service = CFDictionaryGetValue(d, kSecAttrService);
  q->account = CFDictionaryGetValue(d, kSecAttrAccount);
  q->data = CFDictionaryGetValue(d, kSecValueData);
  if (q->service && q->service->type != T_STRING) return errSecParam;
  if (q->account && q->account->type != T_STRING) return errSecParam;
  if (q->data && q->data->type != T_DATA) return errSecParam;
  q->return_attributes = CFDictionaryGetValue(d, kSecReturnAttributes) == kCFBooleanTrue;
  q->return_data = CFDictionaryGetValue(d, kSecReturnData) == kCFBooleanTrue;
  q->ui_fail = same_string(CFDictionaryGetValue(d, kSecUseAuthenticationUI), kSecUseAuthenticationUIFail);
  const Obj *limit = CFDictionaryGetValue(d, kSecMatchLimit);
  q->match_one = !limit || same_string(limit, kSecMatchLimitOne);
  /* A query without a service would match every item: cc-pool must always name its item. */
  if (!q->service) return errSecParam;
  if (!keychain_dir()) return errSecNotAvailable;
  return errSecSuccess;
}

static OSStatus needs_prompt(const Query *q) {
  if (q->ui_fail) return errSecInteractionNotAllowed;
  log_touch("PROMPT", q->service);
  return errSecUserCanceled;
}

OSStatus SecItemCopyMatching(const void *query, const void **result) {
  Query q;
  OSStatus status = parse_query(query, &q, 1);
  if (status) return status;
  log_touch(q.return_data ? "copy-data" : "copy-attributes", q.service);
  if (!q.match_one || (q.return_data && q.return_attributes) || (!q.return_data && !q.return_attributes))
    return errSecParam;
  char base[4300];
  Obj *account = NULL;
  if (!find_item(q.service, q.account, base, sizeof base, &account)) return errSecItemNotFound;
  if (has_flag(base, "locked")) status = needs_prompt(&q);
  else if (q.return_data && has_flag(base, "denied")) status = errSecAuthFailed;
  else if (q.return_data && has_flag(base, "interaction")) status = needs_prompt(&q);
  if (status) {
    CFRelease(account);
    return status;
  }
  Obj *out;
  if (q.return_data) {
    out = read_item(base);
    if (!out) {
      CFRelease(account);
      return errSecItemNotFound;
    }
  } else {
    const void *keys[3] = {kSecClass, kSecAttrService, kSecAttrAccount};
    Obj *service = new_bytes(T_STRING, q.service->bytes, q.service->len);
    const void *values[3] = {kSecClassGenericPassword, service, account};
    out = (Obj *)CFDictionaryCreate(NULL, keys, values, 3, &kCFTypeDictionaryKeyCallBacks,
                                    &kCFTypeDictionaryValueCallBacks);
    CFRelease(service);
  }
  CFRelease(account);
  if (result) *result = out;
  else CFRelease(out);
  return errSecSuccess;
}

OSStatus SecItemAdd(const void *attributes, const void **result) {
  Query q;
  OSStatus status = parse_query(attributes, &q, 1);
  if (status) return status;
  log_touch("add", q.service);
  if (!q.account || !q.data) return errSecParam;
  if (result) *result = NULL;
  char base[4300];
  if (!item_base(q.service, q.account, base, sizeof base)) return errSecParam;
  return write_item(base, q.data, 1);
}

OSStatus SecItemUpdate(const void *query, const void *attributes_to_update) {
  Query q, u;
  OSStatus status = parse_query(query, &q, 1);
  if (status) return status;
  log_touch("update", q.service);
  const Obj *changes = attributes_to_update;
  if (!valid(changes) || changes->type != T_DICT) return errSecParam;
  u.data = CFDictionaryGetValue(changes, kSecValueData);
  if (!u.data || u.data->type != T_DATA) return errSecParam;
  char base[4300];
  if (!find_item(q.service, q.account, base, sizeof base, NULL)) return errSecItemNotFound;
  if (has_flag(base, "locked")) return needs_prompt(&q);
  return write_item(base, u.data, 0);
}

OSStatus SecItemDelete(const void *query) {
  Query q;
  OSStatus status = parse_query(query, &q, 1);
  if (status) return status;
  log_touch("delete", q.service);
  char base[4300], path[4400];
  if (!find_item(q.service, q.account, base, sizeof base, NULL)) return errSecItemNotFound;
  if (has_flag(base, "locked")) return needs_prompt(&q);
  snprintf(path, sizeof path, "%s.item", base);
  if (unlink(path) != 0) return errno == ENOENT ? errSecItemNotFound : errSecIO;
  snprintf(path, sizeof path, "%s.flags", base);
  unlink(path);
  return errSecSuccess;
}
