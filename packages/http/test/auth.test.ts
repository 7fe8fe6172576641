import { describe, expect, it } from "vitest";
import { keyId, SecretRing } from "../src/auth.ts";

describe("SecretRing", () => {
  const ring = new SecretRing(new Map([["wk_0123456789abcdef", "shop"]]));

  it("resolves a known secret to its app and public key id", () => {
    expect(ring.size).toBe(1);
    expect(ring.resolve("wk_0123456789abcdef")).toEqual({ app: "shop", id: keyId("wk_0123456789abcdef") });
    expect(keyId("wk_0123456789abcdef")).toMatch(/^k_[0-9a-f]{10}$/);
  });

  it("an unknown, empty or missing secret resolves to nothing", () => {
    expect(ring.resolve("wk_0123456789abcdeX")).toBeUndefined();
    expect(ring.resolve("")).toBeUndefined();
    expect(ring.resolve(undefined)).toBeUndefined();
  });
});
