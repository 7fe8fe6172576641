import { dynamodb } from "./dynamodb.ts";
import { edgeShipper } from "./edge-shipper.ts";
import { elasticsearch } from "./elasticsearch.ts";
import { elasticsearch9 } from "./elasticsearch9.ts";
import { kafka } from "./kafka.ts";
import { kinesis } from "./kinesis.ts";
import { nginx } from "./nginx.ts";
import { otelcol } from "./otelcol.ts";
import { postgres } from "./postgres.ts";
import { prometheus } from "./prometheus.ts";
import { redis } from "./redis.ts";
import { seaweedfs } from "./seaweedfs.ts";
import { trino } from "./trino.ts";
import type { LocalService } from "./types.ts";

/** Every managed service, in report order. */
export const SERVICES: readonly LocalService[] = [
  kafka,
  elasticsearch,
  seaweedfs,
  kinesis,
  prometheus,
  redis,
  dynamodb,
  postgres,
  trino,
  elasticsearch9,
  nginx,
  edgeShipper,
  otelcol,
];
