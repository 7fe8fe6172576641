/** A CSS-like path of the element, e.g. `body > div#player > button.play:nth-of-type(2)`; at most 8 levels. */
export function elementPath(el: Element, maxDepth = 8): string {
  const parts: string[] = [];
  let cur: Element | null = el;
  while (cur && parts.length < maxDepth) {
    const tag = cur.tagName.toLowerCase();
    if (tag === "html") break;
    let part = tag;
    if (cur.id) {
      parts.unshift(`${tag}#${cur.id}`);
      break;
    }
    const cls = typeof cur.className === "string" ? cur.className.trim().split(/\s+/)[0] : "";
    if (cls) part += `.${cls}`;
    const parent: Element | null = cur.parentElement;
    if (parent) {
      const same = Array.from(parent.children).filter((c) => c.tagName === cur!.tagName);
      if (same.length > 1) part += `:nth-of-type(${same.indexOf(cur) + 1})`;
    }
    parts.unshift(part);
    cur = parent;
  }
  return parts.join(" > ").slice(0, 2048);
}

/** The label of a clicked element: data-reeltime-label, aria-label, title, then its text. */
export function elementLabel(el: Element): string | undefined {
  const label =
    el.getAttribute("data-reeltime-label") ??
    el.getAttribute("aria-label") ??
    el.getAttribute("title") ??
    el.textContent?.replace(/\s+/g, " ").trim();
  return label ? label.slice(0, 256) : undefined;
}

/** `data-reeltime-foo-bar="x"` → `{ foo_bar: "x" }` (except the click marker and the label). */
export function dataAttributes(el: Element): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of Array.from(el.attributes)) {
    const m = /^data-reeltime-([a-z][a-z0-9-]*)$/.exec(a.name);
    if (!m || m[1] === "click" || m[1] === "label") continue;
    out[m[1]!.replaceAll("-", "_").slice(0, 64)] = a.value.slice(0, 256);
  }
  return out;
}
