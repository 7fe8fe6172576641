import { ReeltimeError } from "@reeltime/runtime";

/** Where a page ended: the last row's sort key. */
export interface CursorKey {
  updated_at: string;
  video_id: string;
  app_id: string;
}

/** An opaque cursor for the next page (base64url JSON; clients must not build one). */
export function encodeCursor(k: CursorKey): string {
  return Buffer.from(JSON.stringify([k.updated_at, k.video_id, k.app_id])).toString("base64url");
}

/** The key a cursor holds; a cursor that is not one of ours is refused with REELTIME_ERR_QUERY. */
export function decodeCursor(cursor: string): CursorKey {
  const bad = () =>
    new ReeltimeError("REELTIME_ERR_QUERY", "cursor is not valid; pass the next_cursor of the previous page as it is");
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw bad();
  }
  if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === "string")) throw bad();
  const [updated_at, video_id, app_id] = v as [string, string, string];
  if (Number.isNaN(Date.parse(updated_at))) throw bad();
  return { updated_at, video_id, app_id };
}
