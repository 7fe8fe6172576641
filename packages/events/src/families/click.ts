import { Type } from "@sinclair/typebox";
import { Count, Id, LongText, Ms, Obj, ShortText } from "../common.ts";
import { defineEvent, Page, Video } from "../envelope.ts";

export const ClickTarget = Obj({
  tag: Type.String({ maxLength: 32 }),
  id: Type.Optional(ShortText()),
  label: Type.Optional(ShortText({ search: true, description: "data-reeltime-label, aria-label or text" })),
  href: Type.Optional(LongText()),
});

export const ClickEvents = {
  /** Fires on a tracked click (declarative data attribute or programmatic). */
  click: defineEvent("click", "a tracked click on the page", {
    session_id: Id,
    page: Page,
    video: Type.Optional(Video),
    playhead_ms: Type.Optional(Ms()),
    click: Obj({
      element_path: LongText({ description: "CSS-like path of the clicked element" }),
      target: ClickTarget,
      x: Count("page X in CSS pixels"),
      y: Count("page Y in CSS pixels"),
      viewport_width: Type.Optional(Count()),
      viewport_height: Type.Optional(Count()),
    }),
  }),
} as const;
