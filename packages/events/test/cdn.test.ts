import { describe, expect, it } from "vitest";
import { ALL_TOPICS, CLIENT_FAMILIES, exampleEvent, FAMILIES, routeOf, TOPICS, validateEvent } from "../src/index.ts";

describe("the cdn family", () => {
  it("is a family with its own topic, made by reeltime only: the write API refuses it", () => {
    expect(FAMILIES).toContain("cdn");
    expect(ALL_TOPICS).toContain("reeltime.cdn");
    expect(CLIENT_FAMILIES).not.toContain("cdn");
    const e = exampleEvent("cdn.request");
    expect(validateEvent(e).ok).toBe(true);
    const refused = validateEvent(e, 0, { families: CLIENT_FAMILIES });
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.errors[0]?.reason).toBe("server_only");
  });

  it("is keyed by the CMCD session id, else the edge request id, else the log line", () => {
    const e = exampleEvent("cdn.request");
    expect(routeOf(e)).toEqual({ topic: TOPICS.cdn, key: "view-9d2e7b" });
    const { sid: _s, ...noSid } = e.cdn;
    expect(routeOf({ ...e, cdn: noSid }).key).toBe(e.cdn.request_id);
    const { request_id: _r, ...bare } = noSid;
    expect(routeOf({ ...e, cdn: bare }).key).toBe(`${e.cdn.log_file}#3`);
  });
});
