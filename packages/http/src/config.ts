import { ReeltimeError } from "@reeltime/runtime";

/** An app id: lowercase, as in write keys, read tokens, CORS allowlists and event app_id. */
export const APP_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/**
 * Parses `app:secret` pairs, comma-separated (REELTIME_WRITE_KEYS, REELTIME_READ_TOKENS) into
 * secret → app. `allowStar` admits app `*` (a read token for every app). Throws
 * REELTIME_ERR_CONFIG naming `variable` for a malformed entry or a secret under 16 characters.
 */
export function appSecrets(value: string | undefined, variable: string, allowStar = false): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of (value ?? "").split(",")) {
    const item = raw.trim();
    if (item === "") continue;
    const at = item.indexOf(":");
    const app = item.slice(0, at);
    const secret = item.slice(at + 1);
    if (at < 1 || !(APP_ID.test(app) || (allowStar && app === "*")))
      throw new ReeltimeError(
        "REELTIME_ERR_CONFIG",
        `${variable}: each entry must be app:secret with a lowercase app id`,
      );
    if (secret.length < 16)
      throw new ReeltimeError(
        "REELTIME_ERR_CONFIG",
        `${variable}: the secret for app "${app}" is shorter than 16 characters`,
      );
    out.set(secret, app);
  }
  return out;
}

/**
 * Parses REELTIME_CORS_ORIGINS, `app=https://a.example|https://b.example;app2=...`, into
 * app → allowed origins (`*` allows any origin).
 */
export function corsOrigins(value: string | undefined): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const raw of (value ?? "").split(";")) {
    const item = raw.trim();
    if (item === "") continue;
    const [app, list] = item.split("=", 2);
    if (!app || !APP_ID.test(app) || !list)
      throw new ReeltimeError(
        "REELTIME_ERR_CONFIG",
        `REELTIME_CORS_ORIGINS: "${item}" must be app=https://origin|https://other`,
      );
    for (const o of list.split("|"))
      if (o !== "*" && !/^https?:\/\/[^/\s]+$/.test(o))
        throw new ReeltimeError(
          "REELTIME_ERR_CONFIG",
          `REELTIME_CORS_ORIGINS: "${o}" is not an origin like https://shop.example`,
        );
    out.set(app, new Set(list.split("|")));
  }
  return out;
}

/** Whether `origin` is allowed for `app` by an allowlist from {@link corsOrigins}. */
export function originAllowed(allowed: Map<string, Set<string>>, app: string, origin: string): boolean {
  const set = allowed.get(app);
  return set !== undefined && (set.has(origin) || set.has("*"));
}

/** Whether any app allows `origin` (answers preflights, which carry no key). */
export function anyOriginAllowed(allowed: Map<string, Set<string>>, origin: string): boolean {
  return [...allowed.values()].some((set) => set.has(origin) || set.has("*"));
}
