import { describe, expect, it } from "vitest";
import { exampleEvent, indexTemplates, withoutPrivateFields } from "../src/index.ts";

describe("private fields", () => {
  it("the uploader's email is left out of the search copy, nothing else is, and the event is not changed", () => {
    const e = exampleEvent("upload.completed");
    expect(e.owner?.email).toBe("owner@example.com");
    const copy = withoutPrivateFields(e);
    expect(copy.owner).toEqual({ id: "user-42" });
    expect(e.owner?.email).toBe("owner@example.com");
    // Every other field is the same value.
    const { owner: _a, ...restCopy } = copy;
    const { owner: _b, ...restEvent } = e;
    expect(restCopy).toEqual(restEvent);
  });

  it("an event type without private fields comes back as it is; an unknown type too", () => {
    const play = exampleEvent("playback.play");
    expect(withoutPrivateFields(play)).toBe(play);
    const odd = { event_type: "nope.nope", owner: { email: "x@example.com" } };
    expect(withoutPrivateFields(odd)).toBe(odd);
  });

  it("the upload family's search mapping has no email field (a strict mapping would refuse one)", () => {
    const t = indexTemplates()["reeltime-events-upload"] as {
      template: { mappings: { dynamic: string; properties: { owner: { properties: Record<string, unknown> } } } };
    };
    expect(t.template.mappings.dynamic).toBe("strict");
    expect(Object.keys(t.template.mappings.properties.owner.properties)).toEqual(["id"]);
  });
});
