import {
  BootstraplessSynthesizer,
  CfnOutput,
  type IReusableStackSynthesizer,
  SecretValue,
  Stack,
  type StackProps,
} from "aws-cdk-lib";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import type { Construct } from "constructs";
import { type BusKind, kinesisStreams, leaseTable, mskCluster } from "./bus.ts";
import { type RateLimitStoreKind, rateLimitStore } from "./cache.ts";
import { catalog } from "./catalog.ts";
import { cloudfrontRealtimeStream } from "./cdn-consumer.ts";
import { platformDatabase } from "./database.ts";
import { commonParameters } from "./params.ts";
import { componentRoles } from "./roles.ts";
import { storage } from "./storage.ts";
import { MAX_RECEIVES, uploadNotifications } from "./upload-notifications.ts";

export interface ReeltimeStackProps extends StackProps {
  /** Kinesis streams made here, or an MSK cluster (chosen at synth time: `cdk synth -c bus=msk`). */
  bus: BusKind;
  /** ElastiCache Valkey for the ingest rate limits shared across replicas (default), or none. */
  rateLimitStore?: RateLimitStoreKind;
  /**
   * ARN of the Kinesis data stream a CloudFront real-time log configuration writes to
   * (`-c cloudfrontRealtimeStreamArn=...`): adds the `cdn-consumer` role, which reads that stream
   * and writes reeltime.cdn, and on MSK the shard lease table it needs. Unset: neither.
   */
  cloudfrontRealtimeStreamArn?: string;
  /** The customer-managed KMS key of that stream, when it has one (`kms:Decrypt` on it). */
  cloudfrontRealtimeStreamKeyArn?: string;
}

/**
 * aws-cdk-lib's BootstraplessSynthesizer (no assets, no bootstrap roles), handed to the Stack
 * as a reusable synthesizer: the Stack calls only `reusableBind` on it and keeps the bound
 * BootstraplessSynthesizer that returns. Not the class itself, because its getters
 * (`bootstrapQualifier`, `lookupRole`, `cloudFormationExecutionRole`) return `string | undefined`
 * where IStackSynthesizer has optional `string`s, which `exactOptionalPropertyTypes` refuses.
 */
function bootstraplessSynthesizer(): IReusableStackSynthesizer {
  const synthesizer = new BootstraplessSynthesizer();
  return {
    reusableBind: (stack) => synthesizer.reusableBind(stack),
    bind: (stack) => synthesizer.bind(stack),
    addFileAsset: (asset) => synthesizer.addFileAsset(asset),
    addDockerImageAsset: (asset) => synthesizer.addDockerImageAsset(asset),
    synthesize: (session) => synthesizer.synthesize(session),
  };
}

/**
 * Everything reeltime needs in one AWS account next to an EKS cluster: the bus, the archive
 * and results buckets, the Glue catalog and Athena workgroup, the Elasticsearch credentials,
 * the Valkey cache of the ingest rate limits, the platform database (RDS PostgreSQL) and one least-privilege role per component. Environment-agnostic and asset-free, so the
 * template synthesises offline and deploys with plain CloudFormation too.
 */
export class ReeltimeStack extends Stack {
  constructor(scope: Construct, id: string, props: ReeltimeStackProps) {
    super(scope, id, { synthesizer: bootstraplessSynthesizer(), analyticsReporting: false, ...props });
    const p = commonParameters(this);
    const s = storage(this, p);
    const bus = props.bus === "msk" ? mskCluster(this, s) : kinesisStreams(this, s);
    const cdnStream =
      props.cloudfrontRealtimeStreamArn !== undefined
        ? cloudfrontRealtimeStream(props.cloudfrontRealtimeStreamArn, props.cloudfrontRealtimeStreamKeyArn)
        : undefined;
    // The CDN consumer is a Kinesis consumer group whatever the bus: on MSK it gets the same
    // lease table the Kinesis variant makes for its processors.
    const leases = bus.kind === "kinesis" ? bus.leases : cdnStream ? leaseTable(this, s) : undefined;
    const c = catalog(this, p, s);
    const uploads = uploadNotifications(this, s);
    const roles = componentRoles(this, p, {
      bus,
      storage: s,
      catalog: c,
      uploadNotifications: uploads,
      ...(leases ? { leases } : {}),
      ...(cdnStream ? { cdnStream } : {}),
    });
    const es = new Secret(this, "ElasticsearchSecret", {
      description: "REELTIME_ES_URL and REELTIME_ES_API_KEY for the Helm chart's secret",
      encryptionKey: s.key,
      secretObjectValue: {
        url: SecretValue.unsafePlainText(p.esUrl.valueAsString),
        apiKey: SecretValue.cfnParameter(p.esApiKey),
      },
    });
    const out = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    out("ArchiveBucketName", s.archive.bucketName, "REELTIME_S3_BUCKET");
    out("AthenaResultsBucketName", s.results.bucketName, "where the workgroup writes query results");
    out("AthenaWorkgroup", c.workgroup.ref, "REELTIME_ATHENA_WORKGROUP");
    out("GlueDatabase", p.database.valueAsString, "REELTIME_ATHENA_DATABASE");
    out("DataKeyArn", s.key.keyArn, "KMS key of the buckets, streams and secrets");
    out("ElasticsearchSecretArn", es.secretArn, "sync into the chart's Secret (External Secrets) or copy by hand");
    if ((props.rateLimitStore ?? "valkey") === "valkey") {
      const store = rateLimitStore(this, s.key);
      out(
        "RateLimitStoreUrl",
        store.url,
        "REELTIME_REDIS_URL of ingest once the password from RateLimitStoreUserSecretArn is put after the user name (chart: secrets.values.REELTIME_REDIS_URL)",
      );
      out("RateLimitStoreUserSecretArn", store.secret.secretArn, "username and password of ingest's Valkey user");
      out("RateLimitStoreSecurityGroupId", store.securityGroup.attrGroupId, "security group of the Valkey cache");
    }
    const pg = platformDatabase(this, s.key);
    out(
      "PlatformDatabaseUrl",
      pg.url,
      "REELTIME_PG_URL of the upload API, catalogue updater and notifier once the password from PlatformDatabaseSecretArn is put in (chart: secrets.values.REELTIME_PG_URL)",
    );
    out(
      "DatabaseSecretArn",
      pg.instance.attrMasterUserSecretSecretArn,
      "the RDS-managed master password of the platform database",
    );
    out("PlatformDatabaseSecurityGroupId", pg.securityGroup.attrGroupId, "security group of the platform database");
    out(
      "UploadNotificationsQueueUrl",
      uploads.queue.queueUrl,
      "REELTIME_UPLOAD_QUEUE_URL of the upload API: S3's completed uploads under uploads/, to publish as upload.completed",
    );
    out(
      "UploadNotificationsDeadLetterQueueUrl",
      uploads.deadLetters.queueUrl,
      `completed-upload notifications the upload API failed on ${MAX_RECEIVES} times or EventBridge could not deliver: inspect, then redrive`,
    );
    if (leases)
      out(
        "KinesisLeaseTableName",
        leases.tableName,
        "REELTIME_KINESIS_LEASE_TABLE (with REELTIME_KINESIS_LEASES=dynamodb)",
      );
    if (cdnStream)
      out(
        "CloudfrontRealtimeStreamName",
        cdnStream.name,
        "the stream `reeltime cdn consume --stream` reads (chart: cdnConsumer.streamArn); in this stack's account and region",
      );
    if (bus.kind === "msk") {
      out("KafkaClusterArn", bus.cluster.attrArn, "aws kafka get-bootstrap-brokers: BootstrapBrokerStringSaslScram");
      out("KafkaScramSecretArn", bus.scram.secretArn, "REELTIME_KAFKA_SASL_USERNAME/PASSWORD (scram-sha-512)");
    }
    for (const [name, role] of roles) out(`${name.replaceAll("-", "")}RoleArn`, role.roleArn, `role of ${name}`);
  }
}
