import type { Client } from "@elastic/elasticsearch";
import type { Rejected } from "@reeltime/ports";
import { ReeltimeError, unavailable } from "@reeltime/runtime";
import { backoff, isTransientStatus, type Tuning, withRetry } from "./client.ts";

/** One document for _bulk: `create` (data streams, 409 = already there) or `index` (upsert by id). */
export interface BulkItem {
  action: "create" | "index";
  index: string;
  id: string;
  doc: unknown;
  /** What the caller passed, handed back in `rejected`. */
  original: unknown;
}

export interface BulkOutcome {
  written: number;
  duplicates: number;
  rejected: Rejected[];
}

interface Line {
  item: BulkItem;
  text: string;
  bytes: number;
}

interface ItemResult {
  status: number;
  error?: { type?: string; reason?: string | null; caused_by?: { type?: string; reason?: string | null } };
}

function serialise(item: BulkItem): Line {
  const text = `${JSON.stringify({ [item.action]: { _index: item.index, _id: item.id } })}\n${JSON.stringify(item.doc)}\n`;
  return { item, text, bytes: Buffer.byteLength(text) };
}

/** Requests of at most `maxBytes` each (a single larger document goes alone). */
export function chunkByBytes<T extends { bytes: number }>(lines: T[], maxBytes: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const l of lines) {
    if (current.length > 0 && size + l.bytes > maxBytes) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(l);
    size += l.bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

function reasonOf(r: ItemResult): string {
  const e = r.error;
  if (!e) return `HTTP ${r.status}`;
  const cause = e.caused_by?.reason ? ` (caused by ${e.caused_by.type}: ${e.caused_by.reason})` : "";
  return `${e.type}: ${e.reason ?? ""}${cause}`;
}

/**
 * Sends `lines` as one _bulk request, then again only the items refused with 429/5xx, with
 * backoff, until none is left or retries run out (then a retryable error: the caller resends
 * the batch, which is idempotent). Items refused for good are returned with ES's reason.
 */
async function sendChunk(client: Client, tuning: Tuning, url: string, lines: Line[], out: BulkOutcome): Promise<void> {
  let pending = lines;
  for (let attempt = 0; ; attempt++) {
    const body = pending.map((l) => l.text).join("");
    const resp = await withRetry({ ...tuning, retries: 0 }, url, "_bulk", () =>
      client.bulk({ operations: body as unknown as object[] }),
    ).catch(async (err: ReeltimeError) => {
      if (err.status === 413)
        throw new ReeltimeError(
          "REELTIME_ERR_SEARCH",
          `${err.message}: the request was too large; lower maxRequestBytes or raise http.max_content_length`,
          { upstreamStatus: 413, cause: err },
        );
      if (!err.retryable || attempt >= tuning.retries) throw err;
      return undefined;
    });
    const retry: Line[] = [];
    let lastTransient = "";
    if (resp === undefined) retry.push(...pending);
    else
      resp.items.forEach((entry, i) => {
        const line = pending[i]!;
        const r = entry[line.item.action] as ItemResult | undefined;
        const status = r?.status ?? 500;
        if (status >= 200 && status < 300) out.written++;
        else if (status === 409 && line.item.action === "create") out.duplicates++;
        else if (isTransientStatus(status)) {
          retry.push(line);
          lastTransient = `HTTP ${status} ${r ? reasonOf(r) : ""}`;
        } else
          out.rejected.push({
            event_id: line.item.id,
            reason: r ? reasonOf(r) : "no result",
            status,
            event: line.item.original,
          });
      });
    if (retry.length === 0) return;
    if (attempt >= tuning.retries)
      throw unavailable(
        "search",
        `${retry.length} documents still refused by ${url} after ${attempt + 1} attempts (${lastTransient || "unreachable"}); resend the batch later (writes are idempotent)`,
      );
    pending = retry;
    await backoff(tuning, attempt);
  }
}

/** Below this a write is not split across parallel requests. */
const MIN_SPLIT_BYTES = 256 * 1024;

/**
 * Writes `items` in requests of at most tuning.maxRequestBytes, tuning.concurrency at a time.
 * A write that fits in one request but is large is still split into `concurrency` parts: each
 * bulk request to one shard runs on one write thread, so parallel parts use the node's cores.
 */
export async function bulkWrite(client: Client, tuning: Tuning, url: string, items: BulkItem[]): Promise<BulkOutcome> {
  const out: BulkOutcome = { written: 0, duplicates: 0, rejected: [] };
  const lines = items.map(serialise);
  const total = lines.reduce((sum, l) => sum + l.bytes, 0);
  const perRequest = Math.min(
    tuning.maxRequestBytes,
    Math.max(MIN_SPLIT_BYTES, Math.ceil(total / Math.max(1, tuning.concurrency))),
  );
  const chunks = chunkByBytes(lines, perRequest);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < chunks.length) {
      const chunk = chunks[next++]!;
      try {
        await sendChunk(client, tuning, url, chunk, out);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(tuning.concurrency, chunks.length) }, worker));
  return out;
}
