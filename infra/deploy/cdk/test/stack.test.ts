import { athenaDdl, FAMILIES } from "@reeltime/events";
import { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import type { BusKind } from "../src/bus.ts";
import { COMPONENTS } from "../src/components.ts";
import { glueTables, tableProperties } from "../src/glue-tables.ts";
import { ReeltimeStack } from "../src/stack.ts";

function synth(bus: BusKind) {
  const app = new App();
  return Template.fromStack(new ReeltimeStack(app, "Reeltime", { bus }));
}

type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Effect: string };
const templates = { kinesis: synth("kinesis"), msk: synth("msk") };

/** Every statement of every identity policy, inline or attached, in a template. */
function statements(t: Template): Statement[] {
  const out: Statement[] = [];
  for (const r of Object.values(t.findResources("AWS::IAM::Policy")))
    out.push(...(r.Properties.PolicyDocument.Statement as Statement[]));
  for (const r of Object.values(t.findResources("AWS::IAM::Role")))
    for (const p of (r.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[])
      out.push(...p.PolicyDocument.Statement);
  return out;
}

/** Column lines of a CREATE EXTERNAL TABLE statement, as name/type pairs. */
function ddlColumns(ddl: string) {
  const body = ddl.slice(ddl.indexOf("(\n") + 2, ddl.indexOf("\n)\nPARTITIONED BY"));
  return body.split("\n").map((l) => {
    const m = /^ {2}`([a-z0-9_]+)` ([a-z]+),?$/.exec(l);
    if (!m) throw new Error(`unexpected column line ${l}`);
    return { Name: m[1], Type: m[2] };
  });
}

describe("ReeltimeStack without a rate-limit store", () => {
  it("makes no cache and asks for no cache parameters", () => {
    const t = Template.fromStack(new ReeltimeStack(new App(), "Reeltime", { bus: "kinesis", rateLimitStore: "none" }));
    t.resourceCountIs("AWS::ElastiCache::ServerlessCache", 0);
    expect(Object.keys(t.toJSON().Parameters).some((p) => p.startsWith("RateLimitStore"))).toBe(false);
  }, 60_000);
});

describe.each(Object.entries(templates))("ReeltimeStack on %s", (bus, t) => {
  it("encrypts both buckets with the data key, TLS only, no public access", () => {
    const buckets = t.findResources("AWS::S3::Bucket");
    expect(Object.keys(buckets)).toHaveLength(2);
    for (const b of Object.values(buckets)) {
      const rule = b.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0];
      expect(rule.ServerSideEncryptionByDefault.SSEAlgorithm).toBe("aws:kms");
      expect(rule.ServerSideEncryptionByDefault.KMSMasterKeyID).toEqual({ "Fn::GetAtt": [expect.any(String), "Arn"] });
      expect(rule.BucketKeyEnabled).toBe(true);
      expect(b.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(b.Properties.LifecycleConfiguration.Rules.length).toBeGreaterThan(0);
    }
    t.hasResourceProperties("AWS::S3::BucketPolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
        ]),
      },
    });
    t.hasResourceProperties("AWS::KMS::Key", { EnableKeyRotation: true });
  });

  it("expires, tiers and cleans up the archive by lifecycle rules", () => {
    t.hasResourceProperties("AWS::S3::Bucket", {
      VersioningConfiguration: { Status: "Enabled" },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }),
          Match.objectLike({
            Prefix: "events/",
            ExpirationInDays: { Ref: "ArchiveRetentionDays" },
            Transitions: [{ StorageClass: "INTELLIGENT_TIERING", TransitionInDays: 30 }],
          }),
        ]),
      },
    });
  });

  it("has no wildcard IAM actions and no statement without a resource", () => {
    const all = statements(t);
    expect(all.length).toBeGreaterThan(10);
    for (const s of all) {
      const actions = Array.isArray(s.Action) ? s.Action : [s.Action];
      for (const a of actions) expect(a, JSON.stringify(s)).toMatch(/^[a-z0-9-]+:[A-Za-z]+$/);
      expect(s.Effect).toBe("Allow");
      expect(s.Resource).not.toBe("*");
    }
  });

  it("keeps the platform's tables in RDS PostgreSQL: encrypted, private, reached on 5432 from the pods' group only, password kept by RDS", () => {
    t.resourceCountIs("AWS::RDS::DBInstance", 1);
    t.hasResourceProperties("AWS::RDS::DBInstance", {
      Engine: "postgres",
      StorageEncrypted: true,
      PubliclyAccessible: false,
      ManageMasterUserPassword: true,
      MasterUserSecret: { KmsKeyId: Match.anyValue() },
      DBName: "reeltime",
      DeletionProtection: true,
    });
    const ingress = Object.values(t.findResources("AWS::EC2::SecurityGroupIngress")).filter(
      (r) => r.Properties.FromPort === 5432,
    );
    expect(ingress).toHaveLength(1);
    expect(ingress[0]!.Properties).toMatchObject({ ToPort: 5432, IpProtocol: "tcp" });
    expect(ingress[0]!.Properties.SourceSecurityGroupId).toEqual({ Ref: "PlatformDatabaseClientSecurityGroupId" });
    expect(ingress[0]!.Properties.CidrIp).toBeUndefined();
  });

  it("lets ingest publish only what a write key may send and its own API records; the platform roles only their topics", () => {
    expect([...COMPONENTS.ingest.publishes].sort()).toEqual(
      ["reeltime.api", "reeltime.click", "reeltime.dead-letter", "reeltime.playback"].sort(),
    );
    expect(COMPONENTS.uploads.publishes).toEqual(["reeltime.upload"]);
    expect(COMPONENTS.catalogue.consumes).toEqual(["reeltime.upload", "reeltime.job"]);
    expect(COMPONENTS.notifier.publishes).toEqual(["reeltime.notification", "reeltime.dead-letter"]);
    for (const [name, a] of Object.entries(COMPONENTS))
      if (name !== "uploads") expect((a.publishes as readonly string[]).includes("reeltime.upload"), name).toBe(false);
  });

  it("gives each component its own role, bound to its service account by Pod Identity", () => {
    const assoc = Object.values(t.findResources("AWS::EKS::PodIdentityAssociation")).map(
      (r) => r.Properties.ServiceAccount as string,
    );
    expect(new Set(assoc).size).toBe(assoc.length);
    for (const sa of assoc) expect(Object.values(COMPONENTS).map((c) => c.serviceAccount)).toContain(sa);
    t.hasResourceProperties("AWS::IAM::Role", {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: ["sts:AssumeRole", "sts:TagSession"],
            Principal: { Service: "pods.eks.amazonaws.com" },
          }),
        ],
      },
    });
    // Ingest only reads the live viewers figures (pinned below); only analysts may run Athena queries.
    const byRole = new Map<string, string[]>();
    for (const r of Object.values(t.findResources("AWS::IAM::Policy")))
      byRole.set(
        JSON.stringify(r.Properties.Roles),
        (r.Properties.PolicyDocument.Statement as Statement[]).flatMap((s) => s.Action),
      );
    const athenaUsers = [...byRole].filter(([, a]) => a.includes("athena:StartQueryExecution"));
    expect(athenaUsers).toHaveLength(1);
    expect(athenaUsers[0]![0]).toContain("AnalystRole");
    for (const [role, actions] of byRole)
      if (role.includes("IngestRole"))
        expect(actions.filter((a) => a.startsWith("s3:"))).toEqual(["s3:ListBucket", "s3:GetObject"]);
    // Only the archiver deletes (its own cut markers), and the upload API (a source under
    // uploads/ that failed its checksum).
    const deletes = Object.values(t.findResources("AWS::IAM::Policy")).flatMap((r) =>
      (r.Properties.PolicyDocument.Statement as Statement[])
        .filter((s) => ([] as string[]).concat(s.Action).includes("s3:DeleteObject"))
        .map((s) => ({ roles: JSON.stringify(r.Properties.Roles), resource: JSON.stringify(s.Resource) })),
    );
    expect(deletes).toHaveLength(2);
    const archiver = deletes.find((d) => d.roles.includes("ArchiverRole"))!;
    expect(archiver.roles).not.toMatch(/ViewArchiverRole|JobArchiverRole/);
    expect(archiver.resource).toContain("/_state/reeltime-archiver/*");
    const uploads = deletes.find((d) => d.roles.includes("UploadsRole"))!;
    expect(uploads.resource).toContain("/uploads/*");
    expect(uploads.resource).not.toContain("/media/");
  });

  it("makes one Glue table per contract table, partition projection as the DDL says", () => {
    const ddl = athenaDdl();
    const tables = t.findResources("AWS::Glue::Table");
    // One per event family, and the records: views, jobs, videos.
    expect(Object.keys(tables)).toHaveLength(FAMILIES.length + 3);
    expect(glueTables().map((g) => g.name)).toEqual(Object.keys(ddl));
    for (const r of Object.values(tables)) {
      const input = r.Properties.TableInput;
      const statement = ddl[input.Name]!;
      expect(statement, input.Name).toBeDefined();
      const params = input.Parameters as Record<string, unknown>;
      for (const [k, v] of Object.entries(tableProperties(statement))) {
        if (!v.includes("{{bucket}}")) expect(params[k], `${input.Name} ${k}`).toBe(v);
        else {
          const [before, after] = v.split("{{bucket}}");
          expect(params[k]).toEqual({ "Fn::Join": ["", [before, { Ref: expect.any(String) }, after]] });
        }
      }
      expect(params["projection.enabled"]).toBe("true");
      expect(params["projection.dt.type"]).toBe("date");
      expect(input.StorageDescriptor.Columns).toEqual(ddlColumns(statement));
      expect(input.PartitionKeys.map((p: { Name: string }) => p.Name)).toEqual(
        input.Name.endsWith("_events") ? ["dt", "hour"] : ["dt"],
      );
      expect(input.StorageDescriptor.SerdeInfo.SerializationLibrary).toContain("ParquetHiveSerDe");
    }
  });

  it("lets ingest read the live viewers figures (_live/viewers/) and nothing else of the archive", () => {
    expect(COMPONENTS.ingest.archiveRead).toEqual(["_live/viewers/"]);
    expect(COMPONENTS.ingest.archiveReadWrite).toEqual([]);
    const archive = Object.keys(t.findResources("AWS::S3::Bucket")).find((id) => id.startsWith("Archive"))!;
    const s3 = Object.values(t.findResources("AWS::IAM::Policy"))
      .filter((r) => JSON.stringify(r.Properties.Roles).includes("IngestRole"))
      .flatMap((r) => r.Properties.PolicyDocument.Statement as Statement[])
      .filter((st) => ([] as string[]).concat(st.Action).some((a) => a.startsWith("s3:")));
    expect(s3).toEqual([
      {
        Sid: "ArchiveListOwnPrefixes",
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: { "Fn::GetAtt": [archive, "Arn"] },
        Condition: { StringLike: { "s3:prefix": ["_live/viewers/*"] } },
      },
      {
        Sid: "ArchiveRead",
        Effect: "Allow",
        Action: "s3:GetObject",
        Resource: { "Fn::Join": ["", [{ "Fn::GetAtt": [archive, "Arn"] }, "/_live/viewers/*"]] },
      },
    ]);
    // Every other role keeps its listing of the whole bucket, without a condition.
    const listings = Object.values(t.findResources("AWS::IAM::Policy")).flatMap((r) =>
      (r.Properties.PolicyDocument.Statement as (Statement & { Condition?: unknown })[])
        .filter((st) => ([] as string[]).concat(st.Action).includes("s3:ListBucket") && st.Condition !== undefined)
        .map(() => JSON.stringify(r.Properties.Roles)),
    );
    expect(listings).toHaveLength(1);
    expect(listings[0]).toContain("IngestRole");
  });

  it("lets the catalogue write its video records (records/videos/) and no other archive prefix", () => {
    expect(COMPONENTS.catalogue.archiveReadWrite).toEqual(["records/videos/"]);
    const s3 = Object.values(t.findResources("AWS::IAM::Policy"))
      .filter((r) => JSON.stringify(r.Properties.Roles).includes("CatalogueRole"))
      .flatMap((r) => r.Properties.PolicyDocument.Statement as Statement[])
      .filter((st) => ([] as string[]).concat(st.Action).some((a) => a.startsWith("s3:") && a.endsWith("Object")));
    expect(s3.flatMap((st) => st.Action)).toEqual(["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"]);
    expect(JSON.stringify(s3.map((st) => st.Resource))).toContain("/records/videos/*");
    expect(JSON.stringify(s3.map((st) => st.Resource))).not.toMatch(
      /\/(events|media|uploads|_state)\/|records\/(views|jobs)/,
    );
    t.hasResourceProperties("AWS::Glue::Table", { TableInput: Match.objectLike({ Name: "videos" }) });
  });

  it("caps the bytes an Athena query scans and encrypts its results", () => {
    t.hasParameter("AthenaBytesScannedCutoff", { Type: "Number", Default: 10 * 1024 ** 3, MinValue: 10 * 1024 ** 2 });
    t.hasResourceProperties("AWS::Athena::WorkGroup", {
      WorkGroupConfiguration: {
        BytesScannedCutoffPerQuery: { Ref: "AthenaBytesScannedCutoff" },
        EnforceWorkGroupConfiguration: true,
        ResultConfiguration: {
          EncryptionConfiguration: { EncryptionOption: "SSE_KMS" },
          OutputLocation: Match.anyValue(),
        },
      },
    });
  });

  it("keeps the Elasticsearch credentials in an encrypted secret fed by NoEcho parameters", () => {
    t.hasParameter("ElasticsearchApiKey", { NoEcho: true });
    t.hasResourceProperties("AWS::SecretsManager::Secret", {
      KmsKeyId: Match.anyValue(),
      SecretString: Match.anyValue(),
    });
  });

  it("runs the rate-limit store on ElastiCache Valkey, reached over TLS only from the ingest security group", () => {
    t.hasResourceProperties("AWS::ElastiCache::ServerlessCache", {
      Engine: "valkey",
      MajorEngineVersion: "8",
      SecurityGroupIds: [{ "Fn::GetAtt": [Match.stringLikeRegexp("^RateLimitStoreSecurityGroup"), "GroupId"] }],
      SubnetIds: { Ref: "RateLimitStoreSubnetIds" },
    });
    const ingress = Object.values(t.findResources("AWS::EC2::SecurityGroupIngress")).filter((r) =>
      JSON.stringify(r.Properties.GroupId).includes("RateLimitStoreSecurityGroup"),
    );
    expect(ingress.map((r) => r.Properties)).toEqual([
      expect.objectContaining({
        IpProtocol: "tcp",
        FromPort: 6379,
        ToPort: 6380,
        SourceSecurityGroupId: { Ref: "RateLimitStoreClientSecurityGroupId" },
      }),
    ]);
    const url = JSON.stringify(t.findOutputs("RateLimitStoreUrl"));
    expect(url).toContain("rediss://");
    expect(url).toContain("Endpoint.Address");
  });

  it("lets only ingest's own Valkey user in: the default user is off, the password lives in a secret under the stack's key", () => {
    const users = Object.values(t.findResources("AWS::ElastiCache::User")).map((r) => r.Properties);
    expect(users).toHaveLength(2);
    const byName = new Map(users.map((u) => [u.UserName, u]));
    expect(byName.get("default")).toMatchObject({ Engine: "valkey", AccessString: "off -@all" });
    const ingest = byName.get("reeltime-ingest");
    expect(ingest).toMatchObject({
      Engine: "valkey",
      AccessString: "on ~reeltime:* +@all -@dangerous",
      AuthenticationMode: { Type: "password" },
    });
    // The password is resolved from the secret at deploy time, never written into the template.
    expect(JSON.stringify(ingest.AuthenticationMode.Passwords)).toMatch(
      /resolve:secretsmanager:.*:SecretString:password/,
    );
    t.hasResourceProperties("AWS::ElastiCache::UserGroup", {
      Engine: "valkey",
      UserIds: Match.arrayWith(["reeltime-default-off", "reeltime-ingest"]),
    });
    t.hasResourceProperties("AWS::ElastiCache::ServerlessCache", { UserGroupId: "reeltime-rate-limits" });
    t.hasResourceProperties("AWS::SecretsManager::Secret", {
      KmsKeyId: Match.anyValue(),
      GenerateSecretString: Match.objectLike({ GenerateStringKey: "password", PasswordLength: 32 }),
    });
    // The URL output names the user but carries no password.
    const url = JSON.stringify(t.findOutputs("RateLimitStoreUrl"));
    expect(url).toContain("reeltime-ingest@");
    expect(url).not.toMatch(/resolve:secretsmanager/);
  });

  it("lets the pipeline consume and publish transcode requests, completed uploads and chunk units and write its claims and chunks, and nothing else new", () => {
    expect(COMPONENTS.pipeline.consumes).toEqual([
      "reeltime.transcode",
      "reeltime.upload",
      "reeltime.transcode.chunks",
    ]);
    expect(COMPONENTS.pipeline.archiveReadWrite).toContain("pipeline/claims/");
    expect(COMPONENTS.pipeline.archiveReadWrite).toContain("pipeline/chunks/");
    for (const [name, a] of Object.entries(COMPONENTS))
      if (name !== "pipeline")
        expect((a.consumes as readonly string[]).includes("reeltime.transcode"), name).toBe(false);
  });

  if (bus === "kinesis")
    it("makes one encrypted stream per topic, named as the contract names it", () => {
      const streams = Object.values(t.findResources("AWS::Kinesis::Stream"));
      expect(streams.map((s) => s.Properties.Name).sort()).toEqual(
        [
          "reeltime.api",
          "reeltime.cdn",
          "reeltime.click",
          "reeltime.dead-letter",
          "reeltime.job",
          "reeltime.notification",
          "reeltime.playback",
          "reeltime.transcode",
          "reeltime.transcode.chunks",
          "reeltime.upload",
        ].sort(),
      );
      for (const s of streams) expect(s.Properties.StreamEncryption.EncryptionType).toBe("KMS");
    });
  else
    it("makes an MSK cluster with SCRAM over TLS and encryption at rest, and no streams", () => {
      t.resourceCountIs("AWS::Kinesis::Stream", 0);
      t.hasResourceProperties("AWS::MSK::Cluster", {
        ClientAuthentication: { Sasl: { Scram: { Enabled: true } } },
        EncryptionInfo: {
          EncryptionAtRest: { DataVolumeKMSKeyId: Match.anyValue() },
          EncryptionInTransit: { ClientBroker: "TLS", InCluster: true },
        },
      });
      t.hasResourceProperties("AWS::SecretsManager::Secret", { Name: "AmazonMSK_reeltime" });
      t.resourceCountIs("AWS::MSK::BatchScramSecret", 1);
    });
  if (bus === "kinesis")
    it("makes the shard lease table (on demand, TTL, data key) and lets exactly the stream consumers use it", () => {
      t.hasResourceProperties("AWS::DynamoDB::Table", {
        TableName: "reeltime-kinesis-leases",
        BillingMode: "PAY_PER_REQUEST",
        KeySchema: [
          { AttributeName: "leaseGroup", KeyType: "HASH" },
          { AttributeName: "leaseKey", KeyType: "RANGE" },
        ],
        TimeToLiveSpecification: { AttributeName: "ttl", Enabled: true },
        SSESpecification: Match.objectLike({ SSEEnabled: true, SSEType: "KMS" }),
      });
      const users = Object.values(t.findResources("AWS::IAM::Policy"))
        .filter((r) =>
          (r.Properties.PolicyDocument.Statement as Statement[]).some((st) =>
            ([] as string[]).concat(st.Action).includes("dynamodb:PutItem"),
          ),
        )
        .map((r) => JSON.stringify(r.Properties.Roles));
      const consumers = Object.entries(COMPONENTS).filter(([, c]) => c.consumes.length > 0);
      expect(users).toHaveLength(consumers.length);
      expect(users.some((u) => u.includes("IngestRole"))).toBe(false);
    });
  else
    it("makes no lease table on MSK (Kafka's consumer groups coordinate)", () => {
      t.resourceCountIs("AWS::DynamoDB::Table", 0);
    });
});

describe("the optional CDN consumer (an operator's CloudFront real-time log stream)", () => {
  const STREAM = "arn:aws:kinesis:us-east-1:123456789012:stream/cloudfront-realtime-logs";
  const KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
  const withStream = (bus: BusKind, key?: string) =>
    Template.fromStack(
      new ReeltimeStack(new App(), "Reeltime", {
        bus,
        cloudfrontRealtimeStreamArn: STREAM,
        ...(key ? { cloudfrontRealtimeStreamKeyArn: key } : {}),
      }),
    );
  const on = { kinesis: withStream("kinesis"), msk: withStream("msk") };
  const id = (t: Template, type: string, props: object) => {
    const ids = Object.keys(t.findResources(type, { Properties: props }));
    expect(ids, `${type} ${JSON.stringify(props)}`).toHaveLength(1);
    return ids[0]!;
  };
  const arn = (logicalId: string) => ({ "Fn::GetAtt": [logicalId, "Arn"] });
  /** Each role's identity policy statements, by the role's logical id. */
  const policies = (t: Template) =>
    new Map(
      Object.values(t.findResources("AWS::IAM::Policy")).map((r) => [
        JSON.stringify(r.Properties.Roles),
        r.Properties.PolicyDocument.Statement as Statement[],
      ]),
    );
  const cdnConsumer = (t: Template) =>
    [...policies(t)].filter(([role]) => role.includes("CdnConsumerRole")).map(([, s]) => s);

  it("makes nothing for it without the stream's ARN: no role, no Pod Identity, no output, no lease table on MSK", () => {
    for (const t of Object.values(templates)) {
      expect(cdnConsumer(t)).toEqual([]);
      expect(Object.keys(t.findResources("AWS::IAM::Role")).some((r) => r.startsWith("CdnConsumer"))).toBe(false);
      const accounts = Object.values(t.findResources("AWS::EKS::PodIdentityAssociation")).map(
        (r) => r.Properties.ServiceAccount,
      );
      expect(accounts).not.toContain(COMPONENTS["cdn-consumer"].serviceAccount);
      expect(Object.keys(t.findOutputs("*")).filter((o) => /cdnconsumer|Cloudfront/i.test(o))).toEqual([]);
      expect(JSON.stringify(t.toJSON())).not.toContain(":stream/cloudfront");
    }
    templates.msk.resourceCountIs("AWS::DynamoDB::Table", 0);
    expect(Object.keys(templates.msk.findOutputs("*"))).not.toContain("KinesisLeaseTableName");
  });

  it("on Kinesis: reads only that stream, uses the lease table, ensures and writes reeltime.cdn and the dead letters", () => {
    const t = on.kinesis;
    const cdn = arn(id(t, "AWS::Kinesis::Stream", { Name: "reeltime.cdn" }));
    const letters = arn(id(t, "AWS::Kinesis::Stream", { Name: "reeltime.dead-letter" }));
    const table = arn(id(t, "AWS::DynamoDB::Table", { TableName: "reeltime-kinesis-leases" }));
    const key = arn(id(t, "AWS::KMS::Key", {}));
    expect(cdnConsumer(t)).toEqual([
      [
        {
          Sid: "EnsureStreams",
          Effect: "Allow",
          Action: ["kinesis:CreateStream", "kinesis:DescribeStreamSummary"],
          Resource: [cdn, letters],
        },
        {
          Sid: "CloudfrontRealtimeStream",
          Effect: "Allow",
          Action: [
            "kinesis:DescribeStreamSummary",
            "kinesis:ListShards",
            "kinesis:GetShardIterator",
            "kinesis:GetRecords",
          ],
          Resource: STREAM,
        },
        {
          Sid: "KinesisLeases",
          Effect: "Allow",
          Action: ["dynamodb:DescribeTable", "dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem"],
          Resource: table,
        },
        {
          Sid: "PublishStreams",
          Effect: "Allow",
          Action: ["kinesis:PutRecords", "kinesis:PutRecord"],
          Resource: [cdn, letters],
        },
        { Sid: "DataKey", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: key },
      ],
    ]);
  });

  it("on MSK: reads that stream and the lease table made for it (the bus is Kafka: no Kinesis stream of the stack)", () => {
    const t = on.msk;
    t.resourceCountIs("AWS::Kinesis::Stream", 0);
    t.resourceCountIs("AWS::DynamoDB::Table", 1);
    t.hasResourceProperties("AWS::DynamoDB::Table", {
      TableName: "reeltime-kinesis-leases",
      BillingMode: "PAY_PER_REQUEST",
      KeySchema: [
        { AttributeName: "leaseGroup", KeyType: "HASH" },
        { AttributeName: "leaseKey", KeyType: "RANGE" },
      ],
      TimeToLiveSpecification: { AttributeName: "ttl", Enabled: true },
      SSESpecification: Match.objectLike({ SSEEnabled: true, SSEType: "KMS" }),
    });
    const table = arn(id(t, "AWS::DynamoDB::Table", { TableName: "reeltime-kinesis-leases" }));
    const key = arn(id(t, "AWS::KMS::Key", {}));
    expect(cdnConsumer(t)).toEqual([
      [
        {
          Sid: "CloudfrontRealtimeStream",
          Effect: "Allow",
          Action: [
            "kinesis:DescribeStreamSummary",
            "kinesis:ListShards",
            "kinesis:GetShardIterator",
            "kinesis:GetRecords",
          ],
          Resource: STREAM,
        },
        {
          Sid: "KinesisLeases",
          Effect: "Allow",
          Action: ["dynamodb:DescribeTable", "dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem"],
          Resource: table,
        },
        { Sid: "DataKey", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: key },
      ],
    ]);
    expect(Object.keys(t.findOutputs("*"))).toEqual(
      expect.arrayContaining(["KinesisLeaseTableName", "CloudfrontRealtimeStreamName", "cdnconsumerRoleArn"]),
    );
    expect(t.findOutputs("CloudfrontRealtimeStreamName").CloudfrontRealtimeStreamName!.Value).toBe(
      "cloudfront-realtime-logs",
    );
  });

  it.each(Object.entries(on))("on %s: binds the role to reeltime-cdn-consumer and changes no other role", (bus, t) => {
    const accounts = Object.values(t.findResources("AWS::EKS::PodIdentityAssociation")).map(
      (r) => r.Properties.ServiceAccount,
    );
    expect(accounts.filter((a) => a === "reeltime-cdn-consumer")).toHaveLength(1);
    const before = policies(templates[bus as BusKind]);
    const after = policies(t);
    expect(after.size).toBe(before.size + 1);
    for (const [role, statements] of before) expect(after.get(role), role).toEqual(statements);
    // No other role names the operator's stream.
    for (const [role, statements] of after)
      if (!role.includes("CdnConsumerRole")) expect(JSON.stringify(statements), role).not.toContain(STREAM);
  });

  it("decrypts a stream under the operator's own key with that key only", () => {
    for (const bus of ["kinesis", "msk"] as const) {
      const [statements] = cdnConsumer(withStream(bus, KEY));
      const own = statements!.filter((s) => s.Sid === "CloudfrontRealtimeStreamKey");
      expect(own).toEqual([
        { Sid: "CloudfrontRealtimeStreamKey", Effect: "Allow", Action: "kms:Decrypt", Resource: KEY },
      ]);
      expect(statements!.filter((s) => JSON.stringify(s.Resource).includes(KEY))).toHaveLength(1);
    }
  });

  it("refuses what is not a Kinesis stream ARN, and a key alias", () => {
    const make = (props: { cloudfrontRealtimeStreamArn: string; cloudfrontRealtimeStreamKeyArn?: string }) => () =>
      new ReeltimeStack(new App(), "Reeltime", { bus: "kinesis", ...props });
    for (const bad of [
      "cloudfront-realtime-logs",
      "arn:aws:firehose:us-east-1:123456789012:deliverystream/logs",
      "arn:aws:kinesis:us-east-1:123456789012:stream/",
      "arn:aws:kinesis:us-east-1:12345:stream/logs",
    ])
      expect(make({ cloudfrontRealtimeStreamArn: bad }), bad).toThrow(/REELTIME_ERR_USAGE|Kinesis data stream ARN/);
    expect(
      make({
        cloudfrontRealtimeStreamArn: STREAM,
        cloudfrontRealtimeStreamKeyArn: "arn:aws:kms:us-east-1:123456789012:alias/logs",
      }),
    ).toThrow(/not an alias/);
  });
});
