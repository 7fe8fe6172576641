import { describe, expect, it } from "vitest";
import { enrich, enrichInPlace, exampleEvent, parseUserAgent, withoutServerFields } from "../src/index.ts";

const ctx = {
  appId: "app-1",
  receivedAt: "2026-12-05T12:00:00.000Z",
  ip: "203.0.113.0",
  country: "DE",
  userAgent: parseUserAgent("Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0")!,
};

describe("server fields", () => {
  it("an event without them is returned as it is, not copied", () => {
    const event = { ...exampleEvent("playback.play") } as Record<string, unknown>;
    delete event.received_at;
    delete event.client;
    expect(withoutServerFields(event)).toBe(event);
  });

  it("an event with them gets a copy without them; the caller's object keeps them", () => {
    const event = { ...exampleEvent("playback.play"), received_at: "2000-01-01T00:00:00Z", client: { ip: "1.2.3.4" } };
    const stripped = withoutServerFields(event) as Record<string, unknown>;
    expect(stripped).not.toBe(event);
    expect(stripped).not.toHaveProperty("received_at");
    expect(stripped).not.toHaveProperty("client");
    expect(event.received_at).toBe("2000-01-01T00:00:00Z");
    expect(Object.keys(stripped)).toEqual(Object.keys(event).filter((k) => k !== "received_at" && k !== "client"));
  });
});

describe("enrich and enrichInPlace", () => {
  const cases: [string, Record<string, unknown>][] = [
    ["a plain event", { ...exampleEvent("playback.play") }],
    ["an event that names an app of its own", { app_id: "someone-else", ...exampleEvent("playback.play") }],
    [
      "an event with its own user agent",
      { ...exampleEvent("click"), user_agent: { original: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)" } },
    ],
  ];
  for (const [name, event] of cases)
    it(`write the same JSON, key for key and in the same order: ${name}`, () => {
      const input = withoutServerFields(structuredClone(event)) as Record<string, unknown>;
      const before = JSON.stringify(input);
      const copied = enrich(input, ctx);
      expect(JSON.stringify(input)).toBe(before); // enrich leaves its input alone
      const stamped = enrichInPlace(input, ctx);
      expect(stamped).toBe(input);
      expect(JSON.stringify(stamped)).toBe(JSON.stringify(copied));
      expect(stamped.app_id).toBe("app-1");
      expect(stamped.received_at).toBe(ctx.receivedAt);
      expect(stamped.client).toEqual({ ip: "203.0.113.0", country: "DE" });
      // The client's keys first, in its order; the server's appended after them unless the client had them.
      const added = ["app_id", "received_at", "client", "user_agent"].filter(
        (k) => !Object.hasOwn(JSON.parse(before), k),
      );
      expect(Object.keys(stamped)).toEqual([...Object.keys(JSON.parse(before)), ...added]);
    });

  it("without an IP or a country the event holds no client block, in either", () => {
    const bare = { appId: "a", receivedAt: ctx.receivedAt };
    const event = { ...exampleEvent("playback.play") } as Record<string, unknown>;
    delete event.client;
    expect(enrich(event, bare)).not.toHaveProperty("client");
    expect(enrichInPlace(event, bare)).not.toHaveProperty("client");
  });
});
