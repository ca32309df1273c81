/** A path for people: under the home folder it reads `~/…`, elsewhere it is unchanged. */
export function displayPath(home: string, path: string): string {
  if (home === "" || home === "/") return path;
  const base = home.replace(/\/+$/, "");
  if (path === base) return "~";
  return path.startsWith(`${base}/`) ? `~${path.slice(base.length)}` : path;
}
