import type { ConsumedBatch } from "@reeltime/connectors";
import { producerLinks, SpanKind } from "@reeltime/runtime";

/**
 * The span of one processor batch, after the OpenTelemetry messaging conventions: a consumer
 * span named `process <topic>`, linked to the producer span of each distinct trace context the
 * batch's messages carry (ingest requests; at most MAX_BATCH_LINKS), since a batch mixes
 * messages of many traces and has no single parent.
 */
export function batchSpan(processor: { name: string; group: string }, driver: string, batch: ConsumedBatch) {
  const first = batch.messages[0];
  const last = batch.messages[batch.messages.length - 1];
  return {
    name: `process ${batch.topic}`,
    options: {
      kind: SpanKind.CONSUMER,
      links: producerLinks(batch.messages),
      attributes: {
        "messaging.system": driver,
        "messaging.operation.type": "process",
        "messaging.operation.name": "process",
        "messaging.destination.name": batch.topic,
        "messaging.destination.partition.id": batch.partition,
        "messaging.consumer.group.name": processor.group,
        "messaging.batch.message_count": batch.messages.length,
        "reeltime.processor": processor.name,
        ...(first && last
          ? { "reeltime.batch.first_offset": first.offset, "reeltime.batch.last_offset": last.offset }
          : {}),
      },
    },
  };
}
