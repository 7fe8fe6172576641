import { describe, expect, it } from "vitest";
import { anyOriginAllowed, appSecrets, corsOrigins, originAllowed } from "../src/config.ts";

describe("app:secret pairs", () => {
  it("maps each secret to its app, star only where allowed", () => {
    const keys = appSecrets(" shop:wk_0123456789abcdef , tv:wk_fedcba9876543210", "REELTIME_WRITE_KEYS");
    expect([...keys]).toEqual([
      ["wk_0123456789abcdef", "shop"],
      ["wk_fedcba9876543210", "tv"],
    ]);
    expect(appSecrets("*:rt_0123456789abcdef", "REELTIME_READ_TOKENS", true).get("rt_0123456789abcdef")).toBe("*");
    expect(() => appSecrets("*:rt_0123456789abcdef", "REELTIME_WRITE_KEYS")).toThrow(
      /REELTIME_WRITE_KEYS: each entry must be app:secret/,
    );
    expect(appSecrets(undefined, "X").size).toBe(0);
  });

  it("refuses a short secret or an app id that is not lowercase, naming the variable", () => {
    expect(() => appSecrets("shop:short", "REELTIME_WRITE_KEYS")).toThrow(
      'REELTIME_WRITE_KEYS: the secret for app "shop" is shorter than 16 characters',
    );
    expect(() => appSecrets("Shop:wk_0123456789abcdef", "REELTIME_READ_TOKENS")).toThrow(/REELTIME_READ_TOKENS/);
    expect(() => appSecrets("wk_0123456789abcdef", "REELTIME_WRITE_KEYS")).toThrow(/app:secret/);
  });
});

describe("CORS allowlists", () => {
  it("per app, * for any origin", () => {
    const allowed = corsOrigins("shop=https://shop.example|http://localhost:5173; tv=*");
    expect(originAllowed(allowed, "shop", "https://shop.example")).toBe(true);
    expect(originAllowed(allowed, "shop", "https://evil.example")).toBe(false);
    expect(originAllowed(allowed, "tv", "https://evil.example")).toBe(true);
    expect(originAllowed(allowed, "other", "https://shop.example")).toBe(false);
    expect(anyOriginAllowed(corsOrigins("shop=https://shop.example"), "https://shop.example")).toBe(true);
    expect(anyOriginAllowed(corsOrigins("shop=https://shop.example"), "https://evil.example")).toBe(false);
  });

  it("refuses an entry or origin it cannot read", () => {
    expect(() => corsOrigins("shop=not-an-origin")).toThrow(/not an origin/);
    expect(() => corsOrigins("shop")).toThrow(/must be app=https:\/\/origin/);
  });
});
