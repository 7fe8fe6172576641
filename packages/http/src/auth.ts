import { createHash, timingSafeEqual } from "node:crypto";

const digest = (secret: string) => createHash("sha256").update(secret).digest();

/** The public id of a key: safe to log and to store in api events. */
export const keyId = (secret: string): string => `k_${digest(secret).toString("hex").slice(0, 10)}`;

/**
 * Secrets looked up by SHA-256 digest and compared in constant time, so neither the map
 * lookup nor the comparison leaks how much of a guessed key was right.
 */
export class SecretRing {
  readonly #byDigest = new Map<string, { digest: Buffer; app: string; id: string }>();
  constructor(secrets: Map<string, string>) {
    for (const [secret, app] of secrets) {
      const d = digest(secret);
      this.#byDigest.set(d.toString("hex"), { digest: d, app, id: keyId(secret) });
    }
  }
  get size(): number {
    return this.#byDigest.size;
  }
  /** The app (and key id) this secret belongs to, or undefined. */
  resolve(secret: string | undefined): { app: string; id: string } | undefined {
    if (!secret) return undefined;
    const d = digest(secret);
    const hit = this.#byDigest.get(d.toString("hex"));
    if (!hit || !timingSafeEqual(hit.digest, d)) return undefined;
    return { app: hit.app, id: hit.id };
  }
}
