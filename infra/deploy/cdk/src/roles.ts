import { ALL_TOPICS, TOPICS } from "@reeltime/events";
import { ReeltimeError } from "@reeltime/runtime";
import type { Stack } from "aws-cdk-lib";
import type { Table } from "aws-cdk-lib/aws-dynamodb";
import { CfnPodIdentityAssociation } from "aws-cdk-lib/aws-eks";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import type { Bus } from "./bus.ts";
import type { Catalog } from "./catalog.ts";
import type { CloudfrontRealtimeStream } from "./cdn-consumer.ts";
import { COMPONENTS, type ComponentAccess, type ComponentName, PROCESSORS } from "./components.ts";
import type { CommonParameters } from "./params.ts";
import type { Storage } from "./storage.ts";
import type { UploadNotifications } from "./upload-notifications.ts";

const pascal = (s: string) => s.replaceAll(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());

/** Reading a stream by polling (no enhanced fan-out, so no SubscribeToShard). */
const READ_STREAM = [
  "kinesis:DescribeStreamSummary",
  "kinesis:ListShards",
  "kinesis:GetShardIterator",
  "kinesis:GetRecords",
];

/**
 * The statements one component needs, named action by action on named resources. Every
 * reeltime process calls `ensureTopics` at start, which on Kinesis is CreateStream answered
 * by ResourceInUse for a stream that exists: so each bus user may create/describe the
 * streams it uses (they exist already, made by this stack) and nothing else.
 */
export function statementsFor(
  name: ComponentName,
  a: ComponentAccess,
  deps: {
    stack: Stack;
    bus: Bus;
    storage: Storage;
    catalog: Catalog;
    uploadNotifications: UploadNotifications;
    database: string;
    workgroup: string;
    /** The shard lease table: the Kinesis bus's, or (on MSK) the one made for the CDN consumer. */
    leases?: Table;
    /** The operator's CloudFront real-time log stream, when the stack was given one. */
    cdnStream?: CloudfrontRealtimeStream;
  },
): PolicyStatement[] {
  const { bus, storage, catalog, stack } = deps;
  const leaseTable = () => {
    if (!deps.leases) throw new ReeltimeError("REELTIME_ERR_CONFIG", `${name} needs the shard lease table`);
    return deps.leases.tableArn;
  };
  const out: PolicyStatement[] = [];
  const key = storage.key.keyArn;
  const kms = new Set<string>();
  if (bus.kind === "kinesis") {
    const arn = (t: string) => bus.streams.get(t as (typeof ALL_TOPICS)[number])!.streamArn;
    const isProcess = (PROCESSORS as readonly string[]).includes(name) || name === "ingest" || name === "setup";
    // `reeltime cdn consume` ensures only the streams it writes (reeltime.cdn, the dead letters).
    const ensured = isProcess
      ? ALL_TOPICS
      : name === "pipeline"
        ? [TOPICS.job, TOPICS.transcode, TOPICS.transcodeChunks]
        : a.cloudfrontRealtimeLogs
          ? a.publishes
          : [];
    if (ensured.length > 0)
      out.push(
        new PolicyStatement({
          sid: "EnsureStreams",
          actions: ["kinesis:CreateStream", "kinesis:DescribeStreamSummary"],
          resources: ensured.map(arn),
        }),
      );
    if (a.consumes.length > 0) {
      out.push(
        new PolicyStatement({
          sid: "ConsumeStreams",
          actions: READ_STREAM,
          resources: a.consumes.map(arn),
        }),
      );
      kms.add("kms:Decrypt");
    }
  }
  // The operator's CloudFront real-time log stream, read by polling (no enhanced fan-out, so no
  // SubscribeToShard or consumer registration); the stream is theirs, so no CreateStream on it.
  if (a.cloudfrontRealtimeLogs) {
    if (!deps.cdnStream)
      throw new ReeltimeError("REELTIME_ERR_CONFIG", `${name} needs the CloudFront real-time log stream's ARN`);
    out.push(
      new PolicyStatement({
        sid: "CloudfrontRealtimeStream",
        actions: READ_STREAM,
        resources: [deps.cdnStream.arn],
      }),
    );
  }
  if ((bus.kind === "kinesis" && a.consumes.length > 0) || a.cloudfrontRealtimeLogs) {
    // Shard leases and checkpoints: read the group's rows, conditional PutItem (take, renew,
    // steal, checkpoint, release); DescribeTable/CreateTable only find the table made here.
    out.push(
      new PolicyStatement({
        sid: "KinesisLeases",
        actions: ["dynamodb:DescribeTable", "dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem"],
        resources: [leaseTable()],
      }),
    );
    kms.add("kms:Decrypt").add("kms:GenerateDataKey");
  }
  if (bus.kind === "kinesis") {
    const arn = (t: string) => bus.streams.get(t as (typeof ALL_TOPICS)[number])!.streamArn;
    if (a.publishes.length > 0) {
      out.push(
        new PolicyStatement({
          sid: "PublishStreams",
          actions: ["kinesis:PutRecords", "kinesis:PutRecord"],
          resources: a.publishes.map(arn),
        }),
      );
      kms.add("kms:GenerateDataKey");
    }
  }
  const usesArchive =
    a.archiveRead.length + a.archiveReadWrite.length > 0 || (PROCESSORS as readonly string[]).includes(name);
  if (usesArchive)
    out.push(
      a.archiveListOwnPrefixes
        ? // A listing must name a prefix under one of its own (ingest: _live/viewers/ only).
          new PolicyStatement({
            sid: "ArchiveListOwnPrefixes",
            actions: ["s3:ListBucket"],
            resources: [storage.archive.bucketArn],
            conditions: { StringLike: { "s3:prefix": [...a.archiveRead, ...a.archiveReadWrite].map((p) => `${p}*`) } },
          })
        : new PolicyStatement({
            sid: "ArchiveBucket",
            actions: ["s3:ListBucket", "s3:GetBucketLocation"],
            resources: [storage.archive.bucketArn],
          }),
    );
  if (a.archiveRead.length > 0) {
    out.push(
      new PolicyStatement({
        sid: "ArchiveRead",
        actions: ["s3:GetObject"],
        resources: a.archiveRead.map((p) => storage.archive.arnForObjects(`${p}*`)),
      }),
    );
    kms.add("kms:Decrypt");
  }
  if (a.archiveReadWrite.length > 0) {
    out.push(
      new PolicyStatement({
        sid: "ArchiveReadWrite",
        actions: ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"],
        resources: a.archiveReadWrite.map((p) => storage.archive.arnForObjects(`${p}*`)),
      }),
    );
    kms.add("kms:Decrypt").add("kms:GenerateDataKey");
  }
  if (a.archiveDelete.length > 0)
    out.push(
      new PolicyStatement({
        sid: "ArchiveDelete",
        actions: ["s3:DeleteObject"],
        resources: a.archiveDelete.map((p) => storage.archive.arnForObjects(`${p}*`)),
      }),
    );
  if (a.athena) {
    out.push(
      new PolicyStatement({
        sid: "AthenaQueries",
        actions: [
          "athena:StartQueryExecution",
          "athena:GetQueryExecution",
          "athena:GetQueryResults",
          "athena:StopQueryExecution",
          "athena:GetWorkGroup",
        ],
        resources: [stack.formatArn({ service: "athena", resource: "workgroup", resourceName: deps.workgroup })],
      }),
      new PolicyStatement({
        sid: "GlueCatalogRead",
        actions: ["glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:GetPartition", "glue:GetPartitions"],
        resources: [
          stack.formatArn({ service: "glue", resource: "catalog" }),
          stack.formatArn({ service: "glue", resource: "database", resourceName: deps.database }),
          ...catalog.tables.map((t) =>
            stack.formatArn({ service: "glue", resource: "table", resourceName: `${deps.database}/${t.name}` }),
          ),
        ],
      }),
      new PolicyStatement({
        sid: "AthenaResultsBucket",
        actions: ["s3:ListBucket", "s3:GetBucketLocation"],
        resources: [storage.results.bucketArn],
      }),
      new PolicyStatement({
        sid: "AthenaResultsObjects",
        actions: ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"],
        resources: [storage.results.arnForObjects("results/*")],
      }),
    );
    kms.add("kms:Decrypt").add("kms:GenerateDataKey");
  }
  // The completed-upload notifications: receive, delete, and change the visibility of (to extend
  // it while checking a source, to back off after a failure) that queue's messages, nothing else.
  // SSE-SQS: no key to grant.
  if (a.uploadNotifications)
    out.push(
      new PolicyStatement({
        sid: "UploadNotifications",
        actions: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"],
        resources: [deps.uploadNotifications.queue.queueArn],
      }),
    );
  // A stream encrypted under the operator's own key: decrypt with that key only.
  if (a.cloudfrontRealtimeLogs && deps.cdnStream?.keyArn)
    out.push(
      new PolicyStatement({
        sid: "CloudfrontRealtimeStreamKey",
        actions: ["kms:Decrypt"],
        resources: [deps.cdnStream.keyArn],
      }),
    );
  if (kms.size > 0) out.push(new PolicyStatement({ sid: "DataKey", actions: [...kms].sort(), resources: [key] }));
  return out;
}

/**
 * One role per component with exactly its statements, bound to its Kubernetes service account
 * by an EKS Pod Identity association (no OIDC provider to manage). Components that need
 * nothing from AWS (the upgrade job on MSK) get no role.
 */
export function componentRoles(
  stack: Stack,
  p: CommonParameters,
  deps: {
    bus: Bus;
    storage: Storage;
    catalog: Catalog;
    uploadNotifications: UploadNotifications;
    leases?: Table;
    cdnStream?: CloudfrontRealtimeStream;
  },
) {
  const roles = new Map<ComponentName, Role>();
  const ctx = { ...deps, stack, database: p.database.valueAsString, workgroup: p.workgroup.valueAsString };
  for (const [name, access] of Object.entries(COMPONENTS) as [ComponentName, ComponentAccess][]) {
    // The CDN consumer exists only for an operator's CloudFront real-time log stream.
    if (access.cloudfrontRealtimeLogs && !deps.cdnStream) continue;
    const statements = statementsFor(name, access, ctx);
    if (statements.length === 0) continue;
    const id = pascal(name);
    const role = new Role(stack, `${id}Role`, {
      description: `reeltime ${name}: only what docs/deploy.md lists for it`,
      assumedBy: new ServicePrincipal("pods.eks.amazonaws.com").withSessionTags(),
    });
    for (const s of statements) role.addToPrincipalPolicy(s);
    new CfnPodIdentityAssociation(stack, `${id}PodIdentity`, {
      clusterName: p.eksCluster.valueAsString,
      namespace: p.namespace.valueAsString,
      serviceAccount: access.serviceAccount,
      roleArn: role.roleArn,
    });
    roles.set(name, role);
  }
  return roles;
}
