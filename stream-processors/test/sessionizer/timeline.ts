import { type EventType, exampleEvent } from "@reeltime/events";
import type { ViewEvent } from "../../src/sessionizer/compute.ts";

const T0 = Date.parse("2026-11-22T10:00:00.000Z");
export const r720 = { id: "720p", bitrate_bps: 2_800_000, width: 1280, height: 720 };
export const r480 = { id: "480p", bitrate_bps: 1_400_000, width: 854, height: 480 };
export const box1080 = { width: 960, height: 540, pixel_ratio: 2 };

/** One view as [ms after play request, short type, fields] rows; seq follows row order. */
export function timeline(rows: [number, string, Record<string, unknown>?][], viewId = "view-1"): ViewEvent[] {
  return rows.map(([ms, short, fields], i) => {
    const type = `playback.${short}` as EventType;
    const base = exampleEvent(type, { now: new Date(T0 + ms), seq: i }) as Record<string, unknown>;
    delete base.rendition;
    delete base.display;
    return { ...base, view_id: viewId, ...fields } as unknown as ViewEvent;
  });
}
