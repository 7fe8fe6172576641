import type { Bus, ConsumedBatch, DeadLetter } from "@reeltime/connectors";
import { type Processor, processorMetrics, type RunningProcessor, runProcessor } from "@reeltime/processing";
import { type Logger, ReeltimeError, type Registry } from "@reeltime/runtime";
import { lineLetter, publishCdnEvents, publishDeadLetters } from "./publish.ts";
import { parseRealtimeRecord, type RecordContext } from "./realtime.ts";
import { type RealtimeField, realtimeFieldOrder } from "./realtime-fields.ts";
import type { CdnEvent } from "./to-event.ts";

/** The stream the local edge ships its log to (infra's LOCAL_ENDPOINTS.edge.realtimeLogStream). */
export const DEFAULT_REALTIME_STREAM = "reeltime.cdn.realtime";
/** Fields a record must carry to be a request at all. */
export const REQUIRED_REALTIME_FIELDS = ["timestamp", "sc-status", "cs-uri-stem"] as const;

export interface RealtimeConsumerOptions {
  /** The Kinesis data stream of the real-time log configuration. */
  stream: string;
  /** The configuration's field list, in any order (records carry them in canonical order). */
  fields: readonly string[];
  source?: RecordContext["source"];
  /** The consumer group (default reeltime-cdn-realtime). */
  group?: string;
  /** The configuration's sampling rate, 1-100 (default 100). */
  samplingRate?: number;
  appId?: string;
  ipv4Bits?: number;
  ipv6Bits?: number;
}

/** The configured field set in record order; a usage error naming what is wrong. */
export function checkRealtimeFields(fields: readonly string[]): RealtimeField[] {
  let order: RealtimeField[];
  try {
    order = realtimeFieldOrder(fields);
  } catch (e) {
    throw new ReeltimeError("REELTIME_ERR_CDN_FIELDS", (e as Error).message);
  }
  const missing = REQUIRED_REALTIME_FIELDS.filter((f) => !order.includes(f));
  if (missing.length > 0)
    throw new ReeltimeError(
      "REELTIME_ERR_CDN_FIELDS",
      `the real-time log field list lacks ${missing.join(", ")}; a record without them is no request`,
    );
  return order;
}

/**
 * The consumer group of a real-time log stream: reads the stream's records (records of other
 * producers arrive as they were written, one message each), turns each line into a cdn event
 * and publishes them on `out` (the bus the rest of reeltime reads); a line that is not an event
 * goes to the dead letters with the record's position and its line. A batch is committed once
 * its events and letters are acknowledged, so a restart resumes from the checkpoint and ids made
 * from the edge request id (or the position) keep replays harmless.
 */
export class RealtimeLogProcessor implements Processor {
  readonly name = "cdn-realtime";
  readonly group: string;
  readonly topics: string[];
  readonly commit = "after-handler" as const;
  readonly #out: Bus;
  readonly #fields: RealtimeField[];
  readonly #ctx: Omit<RecordContext, "position">;
  readonly #decoder = new TextDecoder();

  constructor(out: Bus, opts: RealtimeConsumerOptions) {
    this.#out = out;
    this.#fields = checkRealtimeFields(opts.fields);
    this.group = opts.group ?? "reeltime-cdn-realtime";
    this.topics = [opts.stream];
    const rate = opts.samplingRate ?? 100;
    this.#ctx = {
      source: opts.source ?? "cloudfront-realtime",
      ...(rate < 100 ? { sampleRate: rate / 100 } : {}),
      ...(opts.appId ? { appId: opts.appId } : {}),
      ...(opts.ipv4Bits !== undefined ? { ipv4Bits: opts.ipv4Bits } : {}),
      ...(opts.ipv6Bits !== undefined ? { ipv6Bits: opts.ipv6Bits } : {}),
    };
  }

  async handle(batch: ConsumedBatch): Promise<void> {
    const events: CdnEvent[] = [];
    const letters: DeadLetter[] = [];
    const receivedAt = new Date().toISOString();
    for (const m of batch.messages) {
      const position = `${m.topic}/${m.partition}/${m.offset}`;
      const text = this.#decoder.decode(m.value);
      for (const o of parseRealtimeRecord(text, this.#fields, { ...this.#ctx, position, receivedAt })) {
        if ("event" in o) events.push(o.event);
        else
          letters.push(
            lineLetter("cdn-realtime", o.problem, {
              seed: `${position}\n${o.line}`,
              line: o.line,
              topic: m.topic,
              text: o.text,
            }),
          );
      }
    }
    await publishCdnEvents(this.#out, events);
    await publishDeadLetters(this.#out, letters);
  }
}

/** Runs the real-time log consumer: records from `source` (a Kinesis bus), events and letters to `out`. */
export function runRealtimeConsumer(
  deps: { source: Bus; out: Bus; log: Logger; registry: Registry },
  opts: RealtimeConsumerOptions,
): Promise<RunningProcessor> {
  return runProcessor(new RealtimeLogProcessor(deps.out, opts), {
    bus: deps.source,
    log: deps.log,
    metrics: processorMetrics(deps.registry),
  });
}
