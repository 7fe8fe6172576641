import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { hideKafkajsTimerWarning } from "../src/warnings.ts";

const warning = (name: string) => Object.assign(new Error(`${name} happened`), { name });

describe("hideKafkajsTimerWarning", () => {
  it("drops kafkajs's negative-timer warning and passes every other warning to the listeners that were there", () => {
    const proc = new EventEmitter();
    const printed: string[] = [];
    proc.on("warning", (w: Error) => printed.push(w.name));
    hideKafkajsTimerWarning(proc as unknown as NodeJS.Process);
    proc.emit("warning", warning("TimeoutNegativeWarning"));
    proc.emit("warning", warning("DeprecationWarning"));
    proc.emit("warning", warning("MaxListenersExceededWarning"));
    expect(printed).toEqual(["DeprecationWarning", "MaxListenersExceededWarning"]);
    expect(proc.listenerCount("warning")).toBe(1);
  });
});
