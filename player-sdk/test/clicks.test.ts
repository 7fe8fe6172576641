import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { clickPlugin, trackClick } from "../src/clicks/clicks.ts";
import { elementPath } from "../src/clicks/element-path.ts";
import { FakeMedia, ofType, setup } from "./fakes.ts";

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date("2026-11-22T10:00:00.000Z"));
});
afterEach(() => {
  vi.useRealTimers();
});

/** Just enough of a DOM element for the click code. */
class El {
  tagName: string;
  id = "";
  className = "";
  textContent = "";
  parentElement: El | null = null;
  children: El[] = [];
  ownerDocument = { documentElement: { clientWidth: 1280, clientHeight: 800 } };
  #attrs = new Map<string, string>();
  constructor(tag: string, attrs: Record<string, string> = {}, parent?: El) {
    this.tagName = tag.toUpperCase();
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "id") this.id = v;
      else if (k === "class") this.className = v;
      else this.#attrs.set(k, v);
    }
    if (parent) {
      this.parentElement = parent;
      parent.children.push(this);
    }
  }
  get attributes() {
    return [...this.#attrs].map(([name, value]) => ({ name, value }));
  }
  getAttribute(n: string) {
    return this.#attrs.get(n) ?? null;
  }
  closest(sel: string): El | null {
    const attr = /^\[(.+)\]$/.exec(sel)?.[1];
    let cur: El | null = this;
    while (cur && !(attr && cur.#attrs.has(attr))) cur = cur.parentElement;
    return cur;
  }
  get asElement() {
    return this as unknown as Element;
  }
}

/** A click event as the document sees it. */
function clickOn(target: El, pageX: number, pageY: number): Event {
  const e = new Event("click");
  Object.defineProperties(e, { target: { value: target }, pageX: { value: pageX }, pageY: { value: pageY } });
  return e;
}

function page() {
  const body = new El("body");
  const main = new El("div", { id: "player" }, body);
  const bar = new El("div", { class: "controls bar" }, main);
  new El("button", {}, bar);
  const cta = new El(
    "button",
    { "data-reeltime-click": "", "data-reeltime-label": "Subscribe", "data-reeltime-plan-tier": "gold" },
    bar,
  );
  const icon = new El("span", {}, cta);
  return { body, cta, icon };
}

describe("clicks", () => {
  it("builds a CSS-like element path", () => {
    const { cta } = page();
    expect(elementPath(cta.asElement)).toBe("div#player > div.controls > button:nth-of-type(2)");
  });

  it("records declarative clicks with path, label, data attributes and the current view", async () => {
    const doc = new EventTarget();
    const s = setup({ plugins: [clickPlugin({ document: doc as unknown as Document })] });
    const media = new FakeMedia();
    s.tracker.attach(media.asElement(), { video: { id: "vid-1" } });
    media.play();
    media.fire("playing");
    media.at(12.5);
    const { icon } = page();
    doc.dispatchEvent(clickOn(icon, 100.4, 220));
    doc.dispatchEvent(clickOn(page().body, 1, 1));
    const ev = await s.events();
    const clicks = ofType(ev, "click");
    expect(clicks).toHaveLength(1);
    const c = clicks[0]!;
    expect(c.click).toEqual({
      element_path: "div#player > div.controls > button:nth-of-type(2)",
      target: { tag: "button", label: "Subscribe" },
      x: 100,
      y: 220,
      viewport_width: 1280,
      viewport_height: 800,
    });
    expect(c.attributes).toEqual({ plan_tier: "gold" });
    expect(c.view_id).toBe(ev[0]!.view_id);
    expect(c.playhead_ms).toBe(12_500);
    expect(c.video?.id).toBe("vid-1");
  });

  it("records programmatic clicks, without a view when none is live", async () => {
    const s = setup();
    const a = new El("a", { href: "/pricing", "aria-label": "Pricing" });
    trackClick(s.tracker, a.asElement, { attributes: { source: "menu" } });
    const [c] = ofType(await s.events(), "click");
    expect(c!.click.target).toEqual({ tag: "a", label: "Pricing", href: "/pricing" });
    expect(c!.view_id).toBeUndefined();
    expect(c!.attributes).toEqual({ source: "menu" });
    expect(c!.seq).toBe(0);
  });
});
