/*
 * A stand-in for the subset of CoreFoundation and Security.framework that cc-pool's Keychain
 * adapter binds, so the bun:ffi code runs for real on Linux. It is deliberately as unkind as the
 * real frameworks:
 *
 * - CF values are 64-bit handles above 2^53, never plain addresses. Short ASCII strings (up to 7
 *   bytes) are tagged-style values with the top bit set and a scrambled payload, like
 *   CoreFoundation's tagged pointers on arm64; every other object (and every kSec/kCF constant)
 *   is an entry of a table at a high base whose low bits carry a check value. A JS number cannot
 *   hold such a handle exactly: a binding that lets one pass through a number hands back a value
 *   this library never issued.
 * - Every handle is decoded through a lookup. A handle it never issued (or one already released)
 *   is reported on stderr and counted (fake_bad_handles()), and the call fails.
 * - Table objects are reference counted; fake_live_objects() counts those not yet released.
 *   Tagged strings are not objects (CFRelease ignores them, as it does real tagged pointers).
 * - Generic-password items are files in $FAKE_KEYCHAIN_DIR (or the dir given to fake_set_dir()):
 *   <hex(service)>_<hex(account)>.item holds the data; an empty account means the item has no
 *   `acct` attribute at all. The stand-in `security` tool shares the dir.
 * - Every item was created by /usr/bin/security (Claude Code's and cc-pool's writes go through
 *   it), so its access list trusts the tool, not us: a data read through this library "would
 *   prompt" and answers userCanceled (-128) whatever kSecUseAuthenticationUI says, logging
 *   "lib PROMPT <service>".
 * - <dir>/keychain-locked makes the keychain locked: SecKeychainGetStatus reports it, and
 *   SecItemCopyMatching answers errSecItemNotFound, exactly as for a missing item (after
 *   logging a PROMPT unless SecKeychainSetUserInteractionAllowed(false) was called).
 * - Every service name touched is appended to <dir>/touched.log as "lib <op> <service>".
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef int32_t OSStatus;
typedef long CFIndex;
typedef unsigned long CFTypeID;
typedef unsigned char Boolean;
typedef uint32_t CFStringEncoding;
typedef uint64_t CFRef;

enum { errSecSuccess = 0, errSecParam = -50, errSecUserCanceled = -128, errSecNotAvailable = -25291,
       errSecItemNotFound = -25300 };

#define kCFStringEncodingUTF8 0x08000100u

enum { T_STRING = 7, T_DICT = 18, T_BOOL = 21 };

/* SecKeychainStatus bits. */
enum { kSecUnlockStateStatus = 1, kSecReadPermStatus = 2, kSecWritePermStatus = 4 };

typedef struct Obj {
  uint32_t type;
  int32_t refs;
  int is_static;
  int alive;
  size_t len;
  unsigned char *bytes;
  CFIndex count;
  CFRef *keys;
  CFRef *values;
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

/* ---- handles ---- */

#define TABLE_BASE 0x5a3c000000000000ULL
#define CHECK(i) ((((uint64_t)(i) * 0x9dULL) + 0x11dULL) & 0xfffULL)
#define TABLE_HANDLE(i) (TABLE_BASE + ((uint64_t)(i) << 12) + CHECK(i))
#define TAG_BIT 0x8000000000000000ULL
#define TAG_SCRAMBLE 0x2a5d1c3b4e6f71ULL

static Obj **table = NULL;
static size_t table_len = 0, table_cap = 0;
static long live_objects = 0;
static long bad_handles = 0;
static char dir_override[4096] = "";
static int interaction_allowed = 1;

typedef struct {
  CFRef handle;
  Obj obj;
  unsigned char text[8];
} Tagged;
static Tagged *tagged = NULL;
static size_t tagged_len = 0, tagged_cap = 0;

static void bad_handle(const char *fn, CFRef h, const char *why) {
  bad_handles++;
  fprintf(stderr, "fake CoreFoundation: %s got %s handle 0x%016llx\n", fn, why, (unsigned long long)h);
}

static CFRef table_add(Obj *o) {
  if (table_len == table_cap) {
    table_cap = table_cap ? table_cap * 2 : 256;
    table = realloc(table, table_cap * sizeof(Obj *));
  }
  size_t index = table_len++;
  table[index] = o;
  return TABLE_HANDLE(index);
}

/* Short ASCII strings become tagged values: length and 7-bit characters, scrambled, top bit set. */
static int taggable(const unsigned char *bytes, size_t len) {
  if (len == 0 || len > 7) return 0;
  for (size_t i = 0; i < len; i++)
    if (bytes[i] == 0 || bytes[i] > 0x7e) return 0;
  return 1;
}

static CFRef tagged_string(const unsigned char *bytes, size_t len) {
  uint64_t payload = len;
  for (size_t i = 0; i < len; i++) payload |= (uint64_t)(bytes[i] & 0x7f) << (3 + 7 * i);
  payload ^= TAG_SCRAMBLE;
  payload = ((payload << 17) | (payload >> (55 - 17))) & ((1ULL << 55) - 1);
  CFRef h = TAG_BIT | (payload << 4) | 0xd;
  for (size_t i = 0; i < tagged_len; i++)
    if (tagged[i].handle == h) return h;
  if (tagged_len == tagged_cap) {
    tagged_cap = tagged_cap ? tagged_cap * 2 : 64;
    tagged = realloc(tagged, tagged_cap * sizeof(Tagged));
    /* The Obj inside each entry points at its own text: fix them up after a move. */
    for (size_t i = 0; i < tagged_len; i++) tagged[i].obj.bytes = tagged[i].text;
  }
  Tagged *t = &tagged[tagged_len++];
  memset(t, 0, sizeof *t);
  t->handle = h;
  memcpy(t->text, bytes, len);
  t->obj.type = T_STRING;
  t->obj.refs = 1;
  t->obj.is_static = 1;
  t->obj.alive = 1;
  t->obj.len = len;
  t->obj.bytes = t->text;
  return h;
}

static void init(void);

/* The object behind a handle; NULL (reported and counted) for one never issued or released. */
static Obj *lookup(const char *fn, CFRef h) {
  init();
  if (h == 0) {
    bad_handle(fn, h, "a NULL");
    return NULL;
  }
  if (h & TAG_BIT) {
    for (size_t i = 0; i < tagged_len; i++)
      if (tagged[i].handle == h) return &tagged[i].obj;
    bad_handle(fn, h, "a tagged value it never issued:");
    return NULL;
  }
  uint64_t offset = h - TABLE_BASE;
  uint64_t index = offset >> 12;
  if (h < TABLE_BASE || index >= table_len || (offset & 0xfff) != CHECK(index)) {
    bad_handle(fn, h, "a");
    fprintf(stderr, "  (never issued: a pointer squeezed through a JS number loses its low bits)\n");
    return NULL;
  }
  Obj *o = table[index];
  if (!o->alive) {
    bad_handle(fn, h, "a released");
    return NULL;
  }
  return o;
}

/* For handles that may legitimately be NULL (an absent dictionary value). */
static Obj *lookup_optional(const char *fn, CFRef h) { return h == 0 ? NULL : lookup(fn, h); }

static Obj *new_obj(uint32_t type) {
  Obj *o = calloc(1, sizeof(Obj));
  o->type = type;
  o->refs = 1;
  o->alive = 1;
  return o;
}

static CFRef new_string(const unsigned char *bytes, size_t len) {
  if (taggable(bytes, len)) return tagged_string(bytes, len);
  Obj *o = new_obj(T_STRING);
  o->bytes = malloc(len + 1);
  if (len) memcpy(o->bytes, bytes, len);
  o->bytes[len] = 0;
  o->len = len;
  live_objects++;
  return table_add(o);
}

static CFRef static_string(const char *text) {
  Obj *o = new_obj(T_STRING);
  o->is_static = 1;
  o->len = strlen(text);
  o->bytes = (unsigned char *)text;
  return table_add(o);
}

/* The exported constants are table handles with fixed indexes, set up before any call. */
enum { I_CLASS, I_GENP, I_SVCE, I_ACCT, I_RATTR, I_RDATA, I_MLIMIT, I_MLONE, I_AUTHUI, I_AUTHUIFAIL,
       I_TRUE, I_FALSE, I_COUNT };

const CFRef kSecClass = TABLE_HANDLE(I_CLASS);
const CFRef kSecClassGenericPassword = TABLE_HANDLE(I_GENP);
const CFRef kSecAttrService = TABLE_HANDLE(I_SVCE);
const CFRef kSecAttrAccount = TABLE_HANDLE(I_ACCT);
const CFRef kSecReturnAttributes = TABLE_HANDLE(I_RATTR);
const CFRef kSecReturnData = TABLE_HANDLE(I_RDATA);
const CFRef kSecMatchLimit = TABLE_HANDLE(I_MLIMIT);
const CFRef kSecMatchLimitOne = TABLE_HANDLE(I_MLONE);
const CFRef kSecUseAuthenticationUI = TABLE_HANDLE(I_AUTHUI);
const CFRef kSecUseAuthenticationUIFail = TABLE_HANDLE(I_AUTHUIFAIL);
const CFRef kCFBooleanTrue = TABLE_HANDLE(I_TRUE);
const CFRef kCFBooleanFalse = TABLE_HANDLE(I_FALSE);

/* Only their addresses matter: a dictionary created with them retains its keys and values. */
const CFDictionaryKeyCallBacks kCFTypeDictionaryKeyCallBacks = {0, (void *)1, (void *)1, 0, (void *)1, (void *)1};
const CFDictionaryValueCallBacks kCFTypeDictionaryValueCallBacks = {0, (void *)1, (void *)1, 0, (void *)1};

static void init(void) {
  if (table_len > 0) return;
  static const char *names[] = {"class", "genp", "svce", "acct", "r_Attributes", "r_Data", "m_Limit",
                                "m_LimitOne", "u_AuthUI", "u_AuthUIF"};
  for (int i = 0; i < I_TRUE; i++) static_string(names[i]);
  for (int i = I_TRUE; i <= I_FALSE; i++) {
    Obj *o = new_obj(T_BOOL);
    o->is_static = 1;
    table_add(o);
  }
}

/* ---- test hooks ---- */

long fake_live_objects(void) { return live_objects; }
long fake_bad_handles(void) { return bad_handles; }
int fake_interaction_allowed(void) { return interaction_allowed; }
void fake_set_dir(const char *dir) {
  snprintf(dir_override, sizeof dir_override, "%s", dir ? dir : "");
}
/* A fresh process as far as the library's own state goes. */
void fake_reset_state(void) { interaction_allowed = 1; }

static const char *keychain_dir(void) {
  if (dir_override[0]) return dir_override;
  const char *env = getenv("FAKE_KEYCHAIN_DIR");
  return env && env[0] ? env : NULL;
}

static int keychain_locked(void) {
  const char *dir = keychain_dir();
  if (!dir) return 0;
  char path[4200];
  snprintf(path, sizeof path, "%s/keychain-locked", dir);
  return access(path, F_OK) == 0;
}

/* ---- CoreFoundation ---- */

static void retain_handle(CFRef h) {
  Obj *o = lookup("CFRetain", h);
  if (o && !o->is_static) o->refs++;
}

void CFRelease(CFRef h) {
  Obj *o = lookup("CFRelease", h);
  if (!o || o->is_static) return;
  if (--o->refs > 0) return;
  if (o->type == T_DICT && o->retains_children) {
    for (CFIndex i = 0; i < o->count; i++) {
      CFRelease(o->keys[i]);
      CFRelease(o->values[i]);
    }
  }
  /* The slot is never reused, so a later use of this handle is caught. */
  o->alive = 0;
  live_objects--;
}

CFTypeID CFGetTypeID(CFRef h) {
  Obj *o = lookup("CFGetTypeID", h);
  return o ? o->type : 0;
}
CFTypeID CFStringGetTypeID(void) { return T_STRING; }
CFTypeID CFDictionaryGetTypeID(void) { return T_DICT; }

CFRef CFStringCreateWithCString(const void *alloc, const char *cstr, CFStringEncoding encoding) {
  (void)alloc;
  init();
  if (!cstr || encoding != kCFStringEncodingUTF8) return 0;
  return new_string((const unsigned char *)cstr, strlen(cstr));
}

CFIndex CFStringGetLength(CFRef h) {
  Obj *o = lookup("CFStringGetLength", h);
  return o && o->type == T_STRING ? (CFIndex)o->len : 0;
}

CFIndex CFStringGetMaximumSizeForEncoding(CFIndex length, CFStringEncoding encoding) {
  return encoding == kCFStringEncodingUTF8 ? length * 3 : -1;
}

Boolean CFStringGetCString(CFRef h, char *buffer, CFIndex size, CFStringEncoding encoding) {
  Obj *o = lookup("CFStringGetCString", h);
  if (!o || o->type != T_STRING || encoding != kCFStringEncodingUTF8 || !buffer) return 0;
  if ((CFIndex)o->len + 1 > size) return 0;
  memcpy(buffer, o->bytes, o->len);
  buffer[o->len] = 0;
  return 1;
}

CFRef CFDictionaryCreate(const void *alloc, const CFRef *keys, const CFRef *values, CFIndex count,
                         const CFDictionaryKeyCallBacks *key_cb, const CFDictionaryValueCallBacks *value_cb) {
  (void)alloc;
  init();
  /* Only the real callback structs (by address) or none at all: anything else is a binding bug. */
  int typed = key_cb == &kCFTypeDictionaryKeyCallBacks && value_cb == &kCFTypeDictionaryValueCallBacks;
  if (!typed && (key_cb || value_cb)) return 0;
  if (count < 0 || (count > 0 && (!keys || !values))) return 0;
  for (CFIndex i = 0; i < count; i++)
    if (!lookup("CFDictionaryCreate", keys[i]) || !lookup("CFDictionaryCreate", values[i])) return 0;
  Obj *d = new_obj(T_DICT);
  d->count = count;
  d->keys = calloc((size_t)count + 1, sizeof(CFRef));
  d->values = calloc((size_t)count + 1, sizeof(CFRef));
  d->retains_children = typed;
  for (CFIndex i = 0; i < count; i++) {
    d->keys[i] = keys[i];
    d->values[i] = values[i];
    if (typed) {
      retain_handle(keys[i]);
      retain_handle(values[i]);
    }
  }
  live_objects++;
  return table_add(d);
}

static int same_string(const Obj *a, const Obj *b) {
  return a && b && a->type == T_STRING && b->type == T_STRING && a->len == b->len &&
         memcmp(a->bytes, b->bytes, a->len) == 0;
}

static CFRef dict_get(const Obj *d, CFRef key) {
  Obj *k = NULL;
  for (CFIndex i = 0; i < d->count; i++) {
    if (d->keys[i] == key) return d->values[i];
    if (!k) k = lookup("CFDictionaryGetValue", key);
    if (k && same_string(lookup("CFDictionaryGetValue", d->keys[i]), k)) return d->values[i];
  }
  return 0;
}

/* Borrowed (get rule): the caller must not release the result. */
CFRef CFDictionaryGetValue(CFRef dict, CFRef key) {
  Obj *d = lookup("CFDictionaryGetValue", dict);
  if (!d || d->type != T_DICT || !lookup("CFDictionaryGetValue", key)) return 0;
  return dict_get(d, key);
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

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/*
 * The account of the first item (by name order) of a service, optionally of one account, into
 * acct/acct_len. An empty account in the query matches nothing: an item without an `acct`
 * attribute is not an item whose `acct` is "".
 */
static int find_item(const Obj *service, const Obj *account, unsigned char *acct, size_t *acct_len) {
  const char *dir = keychain_dir();
  if (!dir || service->len > 400 || (account && (account->len == 0 || account->len > 400))) return 0;
  char prefix[820];
  hex_encode(service->bytes, service->len, prefix);
  strcat(prefix, "_");
  char want[1700] = "";
  if (account) {
    hex_encode(account->bytes, account->len, want);
    snprintf(want + strlen(want), sizeof want - strlen(want), ".item");
  }
  DIR *d = opendir(dir);
  if (!d) return 0;
  char best[1024] = "";
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t n = strlen(e->d_name);
    if (strncmp(e->d_name, prefix, strlen(prefix)) != 0) continue;
    if (n < 5 || strcmp(e->d_name + n - 5, ".item") != 0) continue;
    if (account && strcmp(e->d_name + strlen(prefix), want) != 0) continue;
    if (!best[0] || strcmp(e->d_name, best) < 0) snprintf(best, sizeof best, "%s", e->d_name);
  }
  closedir(d);
  if (!best[0]) return 0;
  const char *acct_hex = best + strlen(prefix);
  size_t hex_len = strlen(acct_hex) - 5;
  *acct_len = hex_len / 2;
  for (size_t i = 0; i < *acct_len; i++)
    acct[i] = (unsigned char)(hex_value(acct_hex[2 * i]) * 16 + hex_value(acct_hex[2 * i + 1]));
  return 1;
}

/* ---- Security ---- */

OSStatus SecKeychainSetUserInteractionAllowed(Boolean allowed) {
  interaction_allowed = allowed != 0;
  return errSecSuccess;
}

/* Only the default keychain (NULL) is supported: that is the one Claude Code's items live in. */
OSStatus SecKeychainGetStatus(const void *keychain, uint32_t *status) {
  init();
  if (keychain || !status) return errSecParam;
  if (!keychain_dir()) return errSecNotAvailable;
  *status = kSecReadPermStatus | kSecWritePermStatus | (keychain_locked() ? 0 : kSecUnlockStateStatus);
  return errSecSuccess;
}

OSStatus SecItemCopyMatching(CFRef query, CFRef *result) {
  Obj *d = lookup("SecItemCopyMatching", query);
  if (result) *result = 0;
  if (!d || d->type != T_DICT) return errSecParam;
  if (!same_string(lookup_optional("SecItemCopyMatching", dict_get(d, kSecClass)),
                   lookup("SecItemCopyMatching", kSecClassGenericPassword)))
    return errSecParam;
  Obj *service = lookup_optional("SecItemCopyMatching", dict_get(d, kSecAttrService));
  CFRef account_h = dict_get(d, kSecAttrAccount);
  Obj *account = lookup_optional("SecItemCopyMatching", account_h);
  /* A query without a service would match every item: cc-pool must always name its item. */
  if (!service || service->type != T_STRING) return errSecParam;
  if (account_h && (!account || account->type != T_STRING)) return errSecParam;
  int return_attributes = dict_get(d, kSecReturnAttributes) == kCFBooleanTrue;
  int return_data = dict_get(d, kSecReturnData) == kCFBooleanTrue;
  CFRef limit = dict_get(d, kSecMatchLimit);
  if (limit && !same_string(lookup("SecItemCopyMatching", limit), lookup("SecItemCopyMatching", kSecMatchLimitOne)))
    return errSecParam;
  if (return_data == return_attributes) return errSecParam;
  if (!keychain_dir()) return errSecNotAvailable;
  log_touch(return_data ? "copy-data" : "copy-attributes", service);
  if (keychain_locked()) {
    /* The unlock dialog would show here; dismissed, the search finds nothing. */
    if (interaction_allowed) log_touch("PROMPT", service);
    return errSecItemNotFound;
  }
  unsigned char acct[512];
  size_t acct_len = 0;
  if (!find_item(service, account, acct, &acct_len)) return errSecItemNotFound;
  if (return_data) {
    /* The item trusts /usr/bin/security: a read by anyone else needs the user's consent. */
    log_touch("PROMPT", service);
    return errSecUserCanceled;
  }
  CFRef keys[3] = {kSecClass, kSecAttrService, kSecAttrAccount};
  CFRef values[3] = {kSecClassGenericPassword, new_string(service->bytes, service->len), 0};
  CFIndex count = 2;
  if (acct_len > 0) {
    values[2] = new_string(acct, acct_len);
    count = 3;
  }
  CFRef out = CFDictionaryCreate(NULL, keys, values, count, &kCFTypeDictionaryKeyCallBacks,
                                 &kCFTypeDictionaryValueCallBacks);
  for (CFIndex i = 1; i < count; i++) CFRelease(values[i]);
  if (result) *result = out;
  else CFRelease(out);
  return errSecSuccess;
}
