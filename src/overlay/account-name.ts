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
