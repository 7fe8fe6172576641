import type { Attributes } from "../contract.ts";
import type { Plugin, Tracker } from "../types.ts";
import { dataAttributes, elementLabel, elementPath } from "./element-path.ts";

export interface ClickOptions {
  /** Overrides the label found on the element (data-reeltime-label, aria-label, title, text). */
  label?: string;
  /** Page coordinates in CSS pixels. */
  x?: number;
  y?: number;
  attributes?: Attributes;
}

const int = (n: number | undefined) => Math.max(0, Math.round(n ?? 0) || 0);

/** Records a click on `element`: its path, label, data-reeltime-* attributes and the current view. */
export function trackClick(tracker: Tracker, element: Element, options: ClickOptions = {}): void {
  const label = options.label?.slice(0, 256) ?? elementLabel(element);
  const attributes = { ...dataAttributes(element), ...options.attributes };
  const href = element.getAttribute("href");
  const root = element.ownerDocument?.documentElement;
  tracker.send("click", {
    ...(Object.keys(attributes).length > 0 ? { attributes } : {}),
    click: {
      element_path: elementPath(element),
      target: {
        tag: element.tagName.toLowerCase().slice(0, 32),
        ...(element.id ? { id: element.id.slice(0, 256) } : {}),
        ...(label ? { label } : {}),
        ...(href ? { href: href.slice(0, 2048) } : {}),
      },
      x: int(options.x),
      y: int(options.y),
      ...(root ? { viewport_width: int(root.clientWidth), viewport_height: int(root.clientHeight) } : {}),
    },
  });
}

export interface ClickPluginOptions {
  /** Which clicked elements are tracked (the closest match of the click target); default `[data-reeltime-click]`. */
  selector?: string;
  /** The document to listen on (default: the page's). */
  document?: Document;
}

/** Opt-in declarative click tracking of elements marked `data-reeltime-click`. */
export function clickPlugin(options: ClickPluginOptions = {}): Plugin {
  const selector = options.selector ?? "[data-reeltime-click]";
  let off: (() => void) | undefined;
  return {
    name: "clicks",
    setup(tracker: Tracker) {
      const doc = options.document ?? (typeof document === "object" ? document : undefined);
      if (!doc) return;
      const onClick = (e: MouseEvent) => {
        const target = (e.target as Element | null)?.closest?.(selector);
        if (target) trackClick(tracker, target, { x: e.pageX, y: e.pageY });
      };
      doc.addEventListener("click", onClick, true);
      off = () => doc.removeEventListener("click", onClick, true);
    },
    destroy() {
      off?.();
    },
  };
}
