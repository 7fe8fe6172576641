import { PassThrough } from "node:stream";
import { exampleEvent, type JobEvent } from "@reeltime/events";
import { describe, expect, it } from "vitest";
import { ProgressView } from "../../src/cli/progress-view.ts";

function capture(tty: boolean) {
  const out = new PassThrough();
  let text = "";
  out.on("data", (c) => {
    text += c;
  });
  return { view: new ProgressView(out, tty), text: () => text };
}

/** Fields to set on the example's `job`; `undefined` clears one the example has. */
type Patch<T> = { [K in keyof T]?: T[K] | undefined };

const ev = (type: JobEvent["event_type"], job: Patch<JobEvent["job"]>) => {
  const e = exampleEvent(type) as JobEvent;
  return { ...e, job: { ...e.job, ...job } } as JobEvent;
};

describe("ProgressView", () => {
  it("redraws one line with a bar on a TTY", () => {
    const { view, text } = capture(true);
    view.onEvent(ev("job.step_started", { step: "rendition", rendition: "720p" }));
    view.onEvent(ev("job.step_progress", { step: "rendition", rendition: "720p", progress_pct: 50, speed: 2 }));
    expect(text().split("\r").at(-1)).toBe("\x1b[2K[############------------]  50%  720p 50% 2.0x");
    view.onEvent(ev("job.completed", { step: undefined, rendition: undefined }));
    expect(text().endsWith("\n")).toBe(true);
  });
  it("prints plain lines per step when not a TTY", () => {
    const { view, text } = capture(false);
    view.onEvent(ev("job.step_progress", { step: "rendition", rendition: "720p", progress_pct: 50 }));
    view.onEvent(ev("job.step_completed", {}));
    expect(text()).toBe("job job-7f3a: 720p done (1280x720, 10 segments, 2790 kb/s, 3.1x, 19.2 s)\n");
  });
});
