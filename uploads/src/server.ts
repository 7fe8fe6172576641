import { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import { s3ClientConfig } from "@reeltime/archive-s3";
import { createBus } from "@reeltime/connectors";
import { ALL_TOPICS } from "@reeltime/events";
import { ConnectionEnv, createLogger, listenError, loadEnv, onShutdown } from "@reeltime/runtime";
import { buildUploadsApp } from "./app.ts";
import { UploadNotificationBridge } from "./bridge.ts";
import { loadUploadsConfig, type UploadsConfig } from "./config.ts";
import { openUploadsDatabase } from "./database.ts";
import { UploadsBucket } from "./s3.ts";
import { UploadService } from "./service.ts";
import { UploadStore } from "./store.ts";

/**
 * Starts the upload API: bus, database (migrated), uploads bucket, and with
 * REELTIME_UPLOAD_QUEUE_URL the bridge from S3's notifications; stops cleanly on SIGTERM.
 */
export async function startUploads(opts: { config?: UploadsConfig; env?: NodeJS.ProcessEnv } = {}) {
  const source = opts.env ?? process.env;
  const config = opts.config ?? loadUploadsConfig(source);
  const connections = loadEnv(ConnectionEnv, source);
  const logger = createLogger("uploads");
  const db = await openUploadsDatabase(source);
  const bus = await createBus(connections);
  await bus.start();
  await bus.ensureTopics(ALL_TOPICS.map((name) => ({ name, partitions: connections.REELTIME_PARTITIONS })));
  const s3 = new S3Client(s3ClientConfig(connections));
  // Uploads land in the archive bucket under uploads/<app>/…, where the encoding workers read
  // them and the bucket's lifecycle rules expire sources and abort unfinished multipart uploads.
  const bucket = new UploadsBucket(s3, connections.REELTIME_S3_BUCKET, config.env.REELTIME_UPLOAD_URL_SECONDS);
  const store = new UploadStore(db);
  const app = await buildUploadsApp({ config, bus, store, bucket, logger });
  // On AWS: S3's own notifications of completed uploads (S3 → EventBridge → SQS), for a completion
  // this API did not record. Every replica reads the queue; region and credentials as for S3.
  const queueUrl = config.env.REELTIME_UPLOAD_QUEUE_URL;
  const sqs = queueUrl ? new SQSClient({ region: connections.AWS_REGION }) : undefined;
  const bridge =
    sqs && queueUrl
      ? new UploadNotificationBridge({
          sqs,
          queueUrl,
          bucket: bucket.bucket,
          store,
          service: new UploadService({ config, store, bucket, bus, logger }),
          graceSeconds: config.env.REELTIME_UPLOAD_BRIDGE_GRACE_SECONDS,
          logger,
        })
      : undefined;
  const close = async () => {
    await bridge?.stop();
    sqs?.destroy();
    await app.close();
    await bus.shutdown();
    s3.destroy();
    await db.close();
  };
  let address: string;
  try {
    address = await app.listen({ port: config.env.PORT, host: config.env.HOST });
  } catch (err) {
    await close();
    throw listenError(err, { host: config.env.HOST, port: config.env.PORT, setting: "PORT" });
  }
  bridge?.start();
  logger.info(
    { address, bus: bus.driver, bucket: bucket.bucket, ...(queueUrl ? { notifications: queueUrl } : {}) },
    "upload API listening",
  );
  onShutdown(logger, close);
  return { app, address, close };
}
