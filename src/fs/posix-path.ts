// POSIX path joining for the modules every command loads (env, the pool checks, the database).
// node:path gives the same answers, but its first call loads the module: ~0.8 M instructions,
// more than a third of what `ccp select` spends in its own code. cc-pool runs on macOS and Linux
// only, so `/` is the one separator. tests/fs/posix-path.test.ts holds these to node:path's
// answers over many generated paths.

export const sep = "/";

/** The segments of `path` with `.` and empty ones dropped and `..` applied. */
function normalizeSegments(path: string, absolute: boolean): string {
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      // Above the root of an absolute path there is nothing; a relative one keeps its leading `..`.
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!absolute) out.push("..");
      continue;
    }
    out.push(part);
  }
  return out.join("/");
}

/**
 * True when `path` is already what normalize() would make of it: absolute, no empty, `.` or `..`
 * segment, no trailing slash. Most paths cc-pool joins are (HOME, CCP_HOME, account dirs), and
 * indexOf is native where a split and a loop run in the interpreter.
 */
function isNormalAbsolute(path: string): boolean {
  return (
    path.charCodeAt(0) === 47 &&
    (path.length === 1 ||
      (path.charCodeAt(path.length - 1) !== 47 &&
        path.indexOf("//") === -1 &&
        path.indexOf("/./") === -1 &&
        path.indexOf("/../") === -1 &&
        !path.endsWith("/.") &&
        !path.endsWith("/..")))
  );
}

/** A single file or dir name: not empty, no `/`, not `.` or `..`. */
function isPlainName(part: string): boolean {
  return part !== "" && part !== "." && part !== ".." && part.indexOf("/") === -1;
}

export function normalize(path: string): string {
  if (path === "") return ".";
  if (isNormalAbsolute(path)) return path;
  const absolute = path.charCodeAt(0) === 47;
  const trailing = path.charCodeAt(path.length - 1) === 47;
  const body = normalizeSegments(path, absolute);
  if (body === "") return absolute ? "/" : trailing ? "./" : ".";
  const withSlash = trailing ? `${body}/` : body;
  return absolute ? `/${withSlash}` : withSlash;
}

export function join(...parts: string[]): string {
  // The common case, an absolute dir and a name: nothing to normalise.
  if (parts.length === 2 && isNormalAbsolute(parts[0] as string) && isPlainName(parts[1] as string)) {
    return parts[0] === "/" ? `/${parts[1]}` : `${parts[0]}/${parts[1]}`;
  }
  let joined: string | undefined;
  for (const part of parts) {
    if (part === "") continue;
    joined = joined === undefined ? part : `${joined}/${part}`;
  }
  return joined === undefined ? "." : normalize(joined);
}

/** The absolute path `parts` lead to from the current directory, normalised, no trailing `/`. */
export function resolve(...parts: string[]): string {
  if (parts.length === 1 && isNormalAbsolute(parts[0] as string)) return parts[0] as string;
  let resolved = "";
  let absolute = false;
  for (let i = parts.length - 1; i >= 0 && !absolute; i--) {
    const part = parts[i] as string;
    if (part === "") continue;
    resolved = resolved === "" ? part : `${part}/${resolved}`;
    absolute = part.charCodeAt(0) === 47;
  }
  if (!absolute) resolved = resolved === "" ? process.cwd() : `${process.cwd()}/${resolved}`;
  return `/${normalizeSegments(resolved, true)}`;
}

export function dirname(path: string): string {
  if (path === "") return ".";
  const rooted = path.charCodeAt(0) === 47;
  // The last slash that ends a name: trailing slashes belong to the name before them.
  let end = -1;
  let inTrailingSlashes = true;
  for (let i = path.length - 1; i >= 1; i--) {
    if (path.charCodeAt(i) === 47) {
      if (!inTrailingSlashes) {
        end = i;
        break;
      }
    } else {
      inTrailingSlashes = false;
    }
  }
  if (end === -1) return rooted ? "/" : ".";
  if (rooted && end === 1) return "//";
  return path.slice(0, end);
}

export const delimiter = ":";

export function isAbsolute(path: string): boolean {
  return path.charCodeAt(0) === 47;
}

/** The last name in `path` (trailing slashes ignored); "" for `/` or an empty path. */
export function basename(path: string): string {
  let end = path.length;
  while (end > 0 && path.charCodeAt(end - 1) === 47) end--;
  if (end === 0) return "";
  const start = path.lastIndexOf("/", end - 1) + 1;
  return path.slice(start, end);
}
