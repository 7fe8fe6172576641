import { describe, expect, it } from "vitest";
import { decode } from "../src/messages.ts";

const enc = new TextEncoder();
const msg = (text: string) => ({
  topic: "t",
  partition: "0",
  offset: "0",
  key: "",
  headers: {},
  timestamp: 0,
  value: enc.encode(text),
});

// The limit itself (64 levels, 65 refused) is tested in stream-processors/test/poison.test.ts;
// these cover the bracket count that lets decode skip the walk of a shallow value.
describe("decode's depth limit with brackets inside strings", () => {
  it("takes a shallow value whose strings hold more brackets than the limit (the count alone cannot decide)", () => {
    const text = JSON.stringify({ event_id: "e", note: "{[".repeat(200), list: [[1], [2], { a: [3] }] });
    expect(decode(msg(text))).toMatchObject({ event_id: "e", list: [[1], [2], { a: [3] }] });
  });

  it("refuses a deep value hidden after many brackets in strings", () => {
    const text = `{"note":"${"[".repeat(100)}","x":${"[".repeat(70)}${"]".repeat(70)}}`;
    expect(decode(msg(text))).toBeUndefined();
  });
});
