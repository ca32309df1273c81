import type { AccountIdentity } from "./identity.ts";

/** Mail providers whose addresses belong to a person, so the user part is the telling name. */
export const PERSONAL_EMAIL_DOMAINS: readonly string[] = [
  "gmail.com",
  "googlemail.com",
  "icloud.com",
  "me.com",
  "mac.com",
  "outlook.com",
  "hotmail.com",
  "hotmail.co.uk",
  "live.com",
  "msn.com",
  "yahoo.com",
  "yahoo.co.uk",
  "ymail.com",
  "aol.com",
  "proton.me",
  "protonmail.com",
  "pm.me",
  "fastmail.com",
  "fastmail.fm",
  "hey.com",
  "gmx.com",
  "gmx.de",
  "gmx.net",
  "web.de",
  "mail.com",
  "zoho.com",
  "yandex.com",
  "yandex.ru",
  "mail.ru",
  "qq.com",
  "163.com",
  "naver.com",
  "tutanota.com",
  "tuta.io",
  "duck.com",
];

const MAX_NAME_LENGTH = 32;

/**
 * Claude names the organisation of a personal plan after its owner ("alice@acme.com's
 * Organization"); such a name says nothing about the organisation.
 */
function isPlaceholderOrgName(orgName: string, email: string | undefined): boolean {
  if (/'s organi[sz]ation$/i.test(orgName.trim())) return true;
  return (
    orgName.includes("@") || (email !== undefined && orgName.trim().toLowerCase() === email.toLowerCase())
  );
}

/** Lower-case letters, digits, `.`, `_` and `-` only, so the name works unquoted in a shell. */
export function slugifyAccountName(raw: string): string {
  return raw
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^[-.]+|[-.]+$/g, "")
    .slice(0, MAX_NAME_LENGTH)
    .replace(/[-.]+$/g, "");
}

/**
 * A short default name for an account: the user part of a personal address (`alice@gmail.com` →
 * `alice`), otherwise the organisation (`Acme Corp` → `acme-corp`, or `bob@acme.io` → `acme` when
 * the organisation name is a personal placeholder). Undefined when nothing usable is known.
 */
export function deriveAccountName(
  identity: Pick<AccountIdentity, "email" | "organizationName">,
): string | undefined {
  const email = identity.email?.trim();
  const at = email === undefined ? -1 : email.lastIndexOf("@");
  const user = email !== undefined && at > 0 ? email.slice(0, at) : undefined;
  const domain = email !== undefined && at > 0 ? email.slice(at + 1).toLowerCase() : undefined;

  if (user !== undefined && domain !== undefined && PERSONAL_EMAIL_DOMAINS.includes(domain)) {
    const name = slugifyAccountName(user);
    if (name !== "") return name;
  }
  const orgName = identity.organizationName;
  if (orgName !== undefined && !isPlaceholderOrgName(orgName, email)) {
    const name = slugifyAccountName(orgName);
    if (name !== "") return name;
  }
  const label = domain?.split(".")[0];
  if (label !== undefined && label !== "") {
    const name = slugifyAccountName(label);
    if (name !== "") return name;
  }
  if (user !== undefined) {
    const name = slugifyAccountName(user);
    if (name !== "") return name;
  }
  return undefined;
}

/**
 * Names for an account from shortest to longest: the default name first, then the user part, then
 * the user part with the domain, then the whole address. Later ones tell apart accounts that the
 * earlier ones confuse (two people at one company, one person in two organisations).
 */
export function nameCandidates(identity: Pick<AccountIdentity, "email" | "organizationName">): string[] {
  const out: string[] = [];
  const push = (raw: string | undefined): void => {
    if (raw === undefined) return;
    const name = slugifyAccountName(raw);
    if (name !== "" && !out.includes(name)) out.push(name);
  };
  push(deriveAccountName(identity));
  const email = identity.email?.trim();
  const at = email === undefined ? -1 : email.lastIndexOf("@");
  if (email !== undefined && at > 0) {
    const user = email.slice(0, at);
    const domain = email.slice(at + 1);
    push(user);
    push(`${user}-${domain.split(".")[0] ?? ""}`);
    push(email.replace("@", "-at-"));
  }
  const org = identity.organizationName;
  if (org !== undefined && out.length > 0 && !isPlaceholderOrgName(org, email)) {
    push(`${out[out.length - 1]}-${org}`);
  }
  return out;
}

export interface NamingInput {
  id: number;
  identity: Pick<AccountIdentity, "email" | "organizationName"> | undefined;
}

/**
 * The shortest name per account that no other account shares: every account starts at its first
 * candidate, and those that collide (with each other or with a name in `reserved`) move on to
 * their next one until all differ. Accounts without candidates get none; when the candidates run
 * out the id is appended. Pure; `isValid` filters names the pool would reject.
 */
export function distinctAccountNames(
  inputs: readonly NamingInput[],
  reserved: ReadonlySet<string>,
  isValid: (name: string) => boolean = () => true,
): Map<number, string> {
  const lists = new Map<number, string[]>();
  for (const input of inputs) {
    const candidates = input.identity ? nameCandidates(input.identity).filter(isValid) : [];
    if (candidates.length > 0) lists.set(input.id, candidates);
  }
  const level = new Map<number, number>([...lists.keys()].map((id) => [id, 0]));
  const nameOf = (id: number): string => {
    const list = lists.get(id) as string[];
    const at = level.get(id) as number;
    return at < list.length ? (list[at] as string) : `${list[list.length - 1]}-${id}`;
  };
  for (let round = 0; round < 64; round++) {
    const byName = new Map<string, number[]>();
    for (const id of lists.keys()) {
      const key = nameOf(id).toLowerCase();
      byName.set(key, [...(byName.get(key) ?? []), id]);
    }
    let moved = false;
    for (const [key, ids] of byName) {
      if (ids.length < 2 && !reserved.has(key)) continue;
      for (const id of ids) {
        const at = level.get(id) as number;
        const list = lists.get(id) as string[];
        if (at < list.length) {
          level.set(id, at + 1);
          moved = true;
        }
      }
    }
    if (!moved) break;
  }
  return new Map([...lists.keys()].map((id) => [id, nameOf(id)]));
}
