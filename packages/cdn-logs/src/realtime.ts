import { percentDecode } from "./cmcd.ts";
import type { RealtimeField } from "./realtime-fields.ts";
import { type CdnEvent, type CdnSource, type EventContext, type LineProblem, toCdnEvent } from "./to-event.ts";

export interface RecordContext extends Omit<EventContext, "seed" | "line" | "logFile" | "source"> {
  /** cloudfront-realtime, or nginx for the local edge's lines in the same layout. */
  source: Extract<CdnSource, "cloudfront-realtime" | "nginx">;
  /** Where the record was read (stream/shard/sequence): the id's seed when the line has no request id. */
  position: string;
}

export type RecordOutcome = { event: CdnEvent } | { problem: LineProblem; text: string; line: number };

/** nginx's `escape=default` writes `"`, `\` and control characters as \xHH. */
const unescapeNginx = (v: string) =>
  v.includes("\\x")
    ? v.replace(/\\x([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)))
    : v;

/**
 * Reads one Kinesis record of a CloudFront real-time log: one tab-separated line per request (a
 * record holding several lines is read line by line), no header, values in the canonical order
 * of the configured field set (`fields`, see realtimeFieldOrder), `-` empty. A line with another
 * number of values is a problem, like a line whose values are not valid; others go on.
 */
export function parseRealtimeRecord(
  text: string,
  fields: readonly RealtimeField[],
  ctx: RecordContext,
): RecordOutcome[] {
  const out: RecordOutcome[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, "");
    if (line.trim() === "") continue;
    const values = line.split("\t");
    if (values.length === fields.length + 1 && values.at(-1) === "") values.pop();
    if (values.length !== fields.length) {
      out.push({
        line: i + 1,
        text: line,
        problem: {
          reason: "cdn_field_count",
          message: `record ${ctx.position} line ${i + 1}: ${values.length} values, the configured field list has ${fields.length}`,
        },
      });
      continue;
    }
    const f: Record<string, string | undefined> = {};
    for (let k = 0; k < fields.length; k++) {
      const raw = values[k]!;
      const v = ctx.source === "nginx" ? unescapeNginx(raw) : raw;
      const name = fields[k]!;
      f[name] =
        v === "-" || v === ""
          ? undefined
          : name === "cs-uri-query" || name === "cs-headers" || name.startsWith("cmcd-")
            ? v
            : percentDecode(v);
    }
    const requestId = f["x-edge-request-id"];
    const seed = requestId ? `${ctx.source}\n${requestId}` : `${ctx.position}\n${i}`;
    const { position: _, ...rest } = ctx;
    const r = toCdnEvent(f, { ...rest, seed });
    if ("event" in r) out.push({ event: r.event });
    else
      out.push({
        line: i + 1,
        text: line,
        problem: { ...r.problem, message: `record ${ctx.position} line ${i + 1}: ${r.problem.message}` },
      });
  }
  return out;
}
