import { describe, expect, it } from "vitest";
import { checkSizes, messageBytes } from "../../src/bus/limits.ts";

describe("message size", () => {
  it("counts the UTF-8 bytes of key, value, header names and values", () => {
    const utf8 = (s: string) => new TextEncoder().encode(s).length;
    const m = { key: "vue-é🎬", value: new Uint8Array(10), headers: { "nom-é": "valeur 🎬", b: "" } };
    expect(messageBytes(m)).toBe(utf8("vue-é🎬") + 10 + utf8("nom-é") + utf8("valeur 🎬") + 1);
    expect(messageBytes({ key: "", value: new Uint8Array(0) })).toBe(0);
  });

  it("refuses a message one byte over the limit, naming it", () => {
    const m = { key: "k🎬", value: new Uint8Array(95) };
    expect(() => checkSizes("t", [m], 100)).not.toThrow();
    expect(() => checkSizes("t", [m, { ...m, value: new Uint8Array(96) }], 100)).toThrow(/message 1 .* 101 bytes/);
  });
});
