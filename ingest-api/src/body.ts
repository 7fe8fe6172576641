import { ReeltimeError } from "@reeltime/runtime";

/**
 * Bodies are read as UTF-8 (invalid bytes become U+FFFD). A body that says it is in another
 * charset is refused with a 415 rather than read wrongly.
 */
export function charsetRefusal(contentType: string | undefined): Error | undefined {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? "")?.[1]?.toLowerCase();
  if (charset === undefined || charset === "utf-8" || charset === "utf8") return undefined;
  return new ReeltimeError(
    "REELTIME_ERR_MEDIA_TYPE",
    `charset "${charset.slice(0, 40)}" is not supported; send UTF-8 (Content-Type: application/json; charset=utf-8)`,
  );
}

/**
 * Lone UTF-16 surrogates (JSON's "\ud800" escapes) are valid JSON but no store downstream can
 * hold them (Parquet through DuckDB refuses them, Elasticsearch mangles them): every string is
 * made well-formed, a lone surrogate becoming U+FFFD. NUL and other control characters are
 * kept: JSON, Elasticsearch and Parquet all hold them. Only bodies that contain a \u escape
 * of a surrogate or a raw lone surrogate are walked; a body without any `\u` (most) is not
 * searched for a surrogate escape at all, so the common case costs two native scans.
 */
export function wellFormed(value: unknown, text: string): unknown {
  if (text.isWellFormed() && (!text.includes("\\u") || !/\\u[dD][89a-fA-F]/.test(text))) return value;
  const fix = (v: unknown): unknown => (typeof v === "string" ? v.toWellFormed() : v);
  const root = { value };
  const stack: object[] = [root];
  while (stack.length > 0) {
    const o = stack.pop() as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      const v = o[k];
      const key = k.toWellFormed();
      if (key !== k) {
        delete o[k];
        o[key] = fix(v);
      } else if (typeof v === "string") o[k] = fix(v);
      if (v !== null && typeof v === "object") stack.push(v);
    }
  }
  return root.value;
}
