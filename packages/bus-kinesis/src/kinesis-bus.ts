import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
  ListStreamsCommand,
} from "@aws-sdk/client-kinesis";
import {
  backoffMs,
  checkSizes,
  MAX_MESSAGE_BYTES,
  sleep,
  stoppedError,
  withDeadline,
} from "@reeltime/connectors/adapter";
import type { Bus, BusMessage, CheckpointStore, ConsumeOptions, Health, Subscription } from "@reeltime/ports";
import { FsCheckpointStore } from "./checkpoints-fs.ts";
import { createKinesisClient, isFinal, type KinesisBusEnv, kinesisError } from "./client.ts";
import { publishAll } from "./producer.ts";
import { KinesisSubscription } from "./subscription.ts";

export type { KinesisBusEnv } from "./client.ts";

/**
 * The lease store REELTIME_KINESIS_LEASES chooses: a DynamoDB table shared by every host, or
 * files under REELTIME_DATA_DIR for the processes of one development machine (refused when
 * REELTIME_ENV=production).
 */
export async function createCheckpointStore(
  env: KinesisBusEnv,
  processEnv: NodeJS.ProcessEnv = process.env,
): Promise<{ store: CheckpointStore; close(): void }> {
  if (env.REELTIME_KINESIS_LEASES === "dynamodb") {
    const { createLeaseClient, DynamoDbCheckpointStore } = await import("./checkpoints-dynamodb.ts");
    const leaseMs = env.REELTIME_KINESIS_LEASE_MS;
    const client = await createLeaseClient({
      AWS_REGION: env.AWS_REGION,
      REELTIME_DYNAMODB_ENDPOINT: env.REELTIME_DYNAMODB_ENDPOINT,
      timeoutMs: Math.max(1000, Math.floor(leaseMs / 3)),
    });
    const endpoint = env.REELTIME_DYNAMODB_ENDPOINT ?? `DynamoDB in ${env.AWS_REGION}`;
    return {
      store: new DynamoDbCheckpointStore(client, env.REELTIME_KINESIS_LEASE_TABLE ?? "reeltime-kinesis-leases", {
        endpoint,
      }),
      close: () => client.destroy(),
    };
  }
  if (processEnv.REELTIME_ENV === "production") {
    const { fsLeasesInProduction } = await import("./checkpoints-dynamodb.ts");
    throw fsLeasesInProduction();
  }
  return { store: new FsCheckpointStore(env.REELTIME_DATA_DIR), close: () => {} };
}

/**
 * The Kinesis bus (@aws-sdk/client-kinesis). Messages of one key are packed into records
 * (see framing.ts) and sent with PutRecords, retrying only failed records; consumers
 * share a stream through shard leases and checkpoints kept in `checkpoints` (by default the
 * store REELTIME_KINESIS_LEASES chooses, see createCheckpointStore).
 */
export function createKinesisBus(
  env: KinesisBusEnv,
  deps: { client?: KinesisClient; checkpoints?: CheckpointStore } = {},
): Bus {
  const client = deps.client ?? createKinesisClient(env);
  const readClient = deps.client ?? createKinesisClient(env, { http1: true });
  // The store is made on first use (DynamoDB's SDK loads only when chosen); start() awaits it,
  // so a refused configuration (fs leases in production) stops the process at start-up.
  const leases = deps.checkpoints
    ? Promise.resolve({ store: deps.checkpoints, close: () => {} })
    : createCheckpointStore(env);
  leases.catch(() => {});
  const store: CheckpointStore = {
    list: async (group, stream) => (await leases).store.list(group, stream),
    put: async (next, expectedVersion) => (await leases).store.put(next, expectedVersion),
  };
  const endpoint = env.REELTIME_KINESIS_ENDPOINT ?? `Kinesis in ${env.AWS_REGION}`;
  const timeout = env.REELTIME_BUS_TIMEOUT_MS;
  const subscriptions = new Set<KinesisSubscription>();
  let stopped = false;

  const raw = <T>(work: Promise<T>, what: string) =>
    withDeadline(work, timeout, () => kinesisError(new Error(`no answer within ${timeout} ms`), what, endpoint));

  /** Control-plane calls retry transient failures for up to a minute (creation is slow). */
  async function retrying<T>(what: string, work: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + 60_000;
    for (let attempt = 0; ; attempt++) {
      try {
        return await raw(work(), what);
      } catch (e) {
        if (isFinal(e) || (e as Error).name === "ResourceInUseException" || Date.now() > deadline) throw e;
        await sleep(backoffMs(attempt, 200, 2000));
      }
    }
  }

  async function waitActive(stream: string): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const res = await retrying(`describe stream ${stream}`, () =>
        client.send(new DescribeStreamSummaryCommand({ StreamName: stream })),
      ).catch((e: unknown) => {
        throw kinesisError(e, `describe stream ${stream}`, endpoint);
      });
      if (res.StreamDescriptionSummary?.StreamStatus === "ACTIVE") return;
      if (Date.now() > deadline)
        throw kinesisError(new Error("not ACTIVE after 60 s"), `create stream ${stream}`, endpoint);
      await sleep(200);
    }
  }

  /**
   * Kinesis reachable with valid credentials: ListStreams, where an AccessDeniedException also
   * counts. ListStreams takes no resource ARN, so a least-privilege role (the deploy's roles name
   * their streams) is refused it; the service checks the request's signature before the
   * permission, so that refusal still proves the endpoint answers and the credentials are good.
   * Bad credentials (UnrecognizedClientException, InvalidSignatureException), no answer or a
   * refused connection still fail.
   */
  async function probe(): Promise<string> {
    try {
      await raw(readClient.send(new ListStreamsCommand({ Limit: 1 })), "list streams");
      return endpoint;
    } catch (e) {
      if ((e as Error).name === "AccessDeniedException") return `${endpoint} (ListStreams not granted; reachable)`;
      throw kinesisError(e, "list streams", endpoint);
    }
  }

  return {
    driver: "kinesis",
    maxMessageBytes: MAX_MESSAGE_BYTES,

    async start() {
      if (stopped) throw stoppedError("kinesis");
      await leases;
      await probe();
    },

    async health(): Promise<Health> {
      try {
        return { ok: true, driver: "kinesis", detail: await probe() };
      } catch (e) {
        return { ok: false, driver: "kinesis", detail: (e as Error).message };
      }
    },

    async ensureTopics(topics) {
      for (const t of topics) {
        try {
          await retrying(`create stream ${t.name}`, () =>
            client.send(new CreateStreamCommand({ StreamName: t.name, ShardCount: t.partitions })),
          );
        } catch (e) {
          if ((e as Error).name !== "ResourceInUseException")
            throw kinesisError(e, `create stream ${t.name}`, endpoint);
        }
        await waitActive(t.name);
      }
    },

    async publish(topic: string, messages: BusMessage[]) {
      checkSizes(topic, messages);
      if (stopped) throw stoppedError("kinesis");
      if (messages.length === 0) return;
      await publishAll(client, topic, messages, timeout, endpoint);
    },

    async consume(options: ConsumeOptions): Promise<Subscription> {
      if (stopped) throw stoppedError("kinesis");
      const sub = new KinesisSubscription(
        {
          client: readClient,
          store,
          leaseMs: env.REELTIME_KINESIS_LEASE_MS,
          pollMs: env.REELTIME_KINESIS_POLL_MS,
          endpoint,
        },
        options,
      );
      await sub.start();
      subscriptions.add(sub);
      return sub;
    },

    async shutdown() {
      if (stopped) return;
      stopped = true;
      await Promise.allSettled([...subscriptions].map((s) => s.stop()));
      if (!deps.client) {
        client.destroy();
        readClient.destroy();
      }
      await leases.then((l) => l.close()).catch(() => {});
    },
  };
}
