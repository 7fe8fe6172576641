import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import type { BusKind } from "../src/bus.ts";
import { COMPONENTS } from "../src/components.ts";
import { ReeltimeStack } from "../src/stack.ts";
import { MAX_RECEIVES } from "../src/upload-notifications.ts";

type Statement = {
  Sid?: string;
  Action: string | string[];
  Resource: unknown;
  Effect: string;
  Principal?: unknown;
  Condition?: unknown;
};

const synth = (bus: BusKind) => Template.fromStack(new ReeltimeStack(new App(), "Reeltime", { bus }));
const templates = { kinesis: synth("kinesis"), msk: synth("msk") };

/** The one resource of a type whose logical id is `name` and CDK's 8-digit hash: its id and properties. */
function only(t: Template, type: string, name: string) {
  const found = Object.entries(t.findResources(type)).filter(([id]) => new RegExp(`^${name}[0-9A-F]{8}$`).test(id));
  expect(found.map(([id]) => id)).toHaveLength(1);
  const [id, r] = found[0]!;
  return { id, props: r.Properties as Record<string, unknown> };
}

const actionsOf = (s: Statement) => ([] as string[]).concat(s.Action);

/**
 * EventBridge's matching for what the rule uses: a field's list of exact values or `{ prefix }`,
 * objects matched field by field. Only the shape of the pattern against S3's event is checked
 * here (that EventBridge and S3 behave so needs an AWS account).
 */
function matches(pattern: unknown, event: unknown): boolean {
  if (Array.isArray(pattern))
    return pattern.some((p) =>
      typeof p === "object" && p !== null && "prefix" in p
        ? typeof event === "string" && event.startsWith((p as { prefix: string }).prefix)
        : p === event,
    );
  if (typeof pattern !== "object" || pattern === null || typeof event !== "object" || event === null) return false;
  return Object.entries(pattern).every(([k, p]) => matches(p, (event as Record<string, unknown>)[k]));
}

/** S3's `Object Created` event on EventBridge (the S3 user guide's example), for a completed upload. */
const objectCreated = (bucket: string, key: string, reason: string) => ({
  version: "0",
  id: "17793124-05d4-b198-2fde-7ededc63b103",
  "detail-type": "Object Created",
  source: "aws.s3",
  account: "111122223333",
  time: "2021-11-12T00:00:00Z",
  region: "ca-central-1",
  resources: [`arn:aws:s3:::${bucket}`],
  detail: {
    version: "0",
    bucket: { name: bucket },
    object: {
      key,
      size: 5_242_880,
      etag: "b1946ac92492d2347c6235b4d2611184-1",
      "version-id": "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e",
      sequencer: "617f08299329d189",
    },
    "request-id": "N4N7GDK58NMKJ12R",
    requester: "123456789012",
    "source-ip-address": "1.2.3.4",
    reason,
  },
});

describe.each(Object.entries(templates))("completed uploads from S3 to the upload API's queue (%s)", (_bus, t) => {
  const archive = only(t, "AWS::S3::Bucket", "Archive");
  const queue = only(t, "AWS::SQS::Queue", "UploadNotifications");
  const deadLetters = only(t, "AWS::SQS::Queue", "UploadNotificationsDeadLetters");
  const queueArn = { "Fn::GetAtt": [queue.id, "Arn"] };
  const deadLettersArn = { "Fn::GetAtt": [deadLetters.id, "Arn"] };

  it("has the archive bucket, and only it, send its events to EventBridge, without a notification custom resource", () => {
    expect(archive.props.NotificationConfiguration).toEqual({ EventBridgeConfiguration: { EventBridgeEnabled: true } });
    const results = only(t, "AWS::S3::Bucket", "AthenaResults");
    expect(results.props.NotificationConfiguration).toBeUndefined();
    t.resourceCountIs("Custom::S3BucketNotifications", 0);
    t.resourceCountIs("AWS::Lambda::Function", 0);
  });

  it("has one rule on the default bus: the archive's multipart uploads completed under uploads/", () => {
    const rules = Object.values(t.findResources("AWS::Events::Rule"));
    expect(rules).toHaveLength(1);
    const rule = rules[0]!.Properties;
    expect(rule.EventBusName).toBeUndefined();
    expect(rule.State).toBe("ENABLED");
    expect(rule.EventPattern).toEqual({
      source: ["aws.s3"],
      "detail-type": ["Object Created"],
      detail: {
        bucket: { name: [{ Ref: archive.id }] },
        object: { key: [{ prefix: "uploads/" }] },
        reason: ["CompleteMultipartUpload"],
      },
    });
  });

  it("matches S3's event of a multipart upload completed under uploads/ of the archive, and no other", () => {
    const rule = Object.values(t.findResources("AWS::Events::Rule"))[0]!.Properties;
    // The pattern names the archive by its Ref: put the bucket's name in its place.
    const pattern = JSON.parse(JSON.stringify(rule.EventPattern).replace(`{"Ref":"${archive.id}"}`, '"archive"'));
    const key = "uploads/shop/vid-0190b5a8-7c1e-7d2a-9f1b-3c4d5e6f7a8b/source.mp4";
    expect(matches(pattern, objectCreated("archive", key, "CompleteMultipartUpload"))).toBe(true);
    expect(matches(pattern, objectCreated("archive", key, "PutObject"))).toBe(false);
    expect(matches(pattern, objectCreated("archive", key, "CopyObject"))).toBe(false);
    expect(matches(pattern, objectCreated("archive", "media/vid-1/master.m3u8", "CompleteMultipartUpload"))).toBe(
      false,
    );
    expect(matches(pattern, objectCreated("archive", "events/x/uploads/a", "CompleteMultipartUpload"))).toBe(false);
    expect(matches(pattern, objectCreated("athena-results", key, "CompleteMultipartUpload"))).toBe(false);
    expect(
      matches(pattern, {
        ...objectCreated("archive", key, "CompleteMultipartUpload"),
        "detail-type": "Object Deleted",
      }),
    ).toBe(false);
  });

  it("sends the S3 event unchanged to the queue, and what it cannot deliver within a day to the dead letters", () => {
    const rule = Object.values(t.findResources("AWS::Events::Rule"))[0]!.Properties;
    expect(rule.Targets).toEqual([
      {
        Id: expect.any(String),
        Arn: queueArn,
        DeadLetterConfig: { Arn: deadLettersArn },
        RetryPolicy: { MaximumEventAgeInSeconds: 24 * 3600, MaximumRetryAttempts: 185 },
      },
    ]);
  });

  it("moves a notification the bridge failed on ten times to the dead-letter queue, kept 14 days and watched by an alarm", () => {
    expect(MAX_RECEIVES).toBe(10);
    expect(queue.props).toMatchObject({
      RedrivePolicy: { deadLetterTargetArn: deadLettersArn, maxReceiveCount: MAX_RECEIVES },
      MessageRetentionPeriod: 14 * 24 * 3600,
      VisibilityTimeout: 15 * 60,
      ReceiveMessageWaitTimeSeconds: 20,
      SqsManagedSseEnabled: true,
    });
    expect(deadLetters.props).toMatchObject({ MessageRetentionPeriod: 14 * 24 * 3600, SqsManagedSseEnabled: true });
    expect(deadLetters.props.RedrivePolicy).toBeUndefined();
    const alarm = only(t, "AWS::CloudWatch::Alarm", "UploadNotificationsDeadLetterAlarm");
    expect(alarm.props).toMatchObject({
      Namespace: "AWS/SQS",
      MetricName: "ApproximateNumberOfMessagesVisible",
      Dimensions: [{ Name: "QueueName", Value: { "Fn::GetAtt": [deadLetters.id, "QueueName"] } }],
      Threshold: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
    });
    expect(JSON.stringify(t.findOutputs("UploadNotificationsQueueUrl"))).toContain(`{"Ref":"${queue.id}"}`);
    expect(JSON.stringify(t.findOutputs("UploadNotificationsDeadLetterQueueUrl"))).toContain(
      `{"Ref":"${deadLetters.id}"}`,
    );
  });

  it("lets only the rule send to either queue, over TLS, and lets no one read them by resource policy", () => {
    const policies = Object.values(t.findResources("AWS::SQS::QueuePolicy")).map((r) => r.Properties);
    expect(policies).toHaveLength(2);
    const ruleId = Object.keys(t.findResources("AWS::Events::Rule"))[0]!;
    for (const arn of [queueArn, deadLettersArn]) {
      const policy = policies.find((p) => JSON.stringify(p.PolicyDocument).includes(JSON.stringify(arn)))!;
      const statements = policy.PolicyDocument.Statement as Statement[];
      expect(statements.filter((s) => s.Effect === "Deny")).toEqual([
        expect.objectContaining({ Action: "sqs:*", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
      ]);
      const allows = statements.filter((s) => s.Effect === "Allow");
      expect(allows).toHaveLength(1);
      expect(allows[0]!.Principal).toEqual({ Service: "events.amazonaws.com" });
      expect(allows[0]!.Condition).toEqual({ ArnEquals: { "aws:SourceArn": { "Fn::GetAtt": [ruleId, "Arn"] } } });
      expect(actionsOf(allows[0]!)).toContain("sqs:SendMessage");
      for (const a of actionsOf(allows[0]!))
        expect(["sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"]).toContain(a);
    }
  });

  it("lets the upload API's role, and no other, read and delete the queue's messages; nobody reads the dead letters", () => {
    expect(
      Object.entries(COMPONENTS)
        .filter(([, c]) => c.uploadNotifications)
        .map(([n]) => n),
    ).toEqual(["uploads"]);
    const sqs = Object.values(t.findResources("AWS::IAM::Policy")).flatMap((r) =>
      (r.Properties.PolicyDocument.Statement as Statement[])
        .filter((s) => actionsOf(s).some((a) => a.startsWith("sqs:")))
        .map((s) => ({ roles: r.Properties.Roles as unknown[], statement: s })),
    );
    expect(sqs).toHaveLength(1);
    const [{ roles, statement }] = sqs as [(typeof sqs)[number]];
    expect(roles).toHaveLength(1);
    expect(JSON.stringify(roles)).toMatch(/^\[\{"Ref":"UploadsRole[0-9A-F]+"\}\]$/);
    expect(statement.Resource).toEqual(queueArn);
    expect(actionsOf(statement).sort()).toEqual(
      ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"].sort(),
    );
    // No identity policy names the dead-letter queue at all.
    for (const r of Object.values(t.findResources("AWS::IAM::Policy")))
      expect(JSON.stringify(r.Properties.PolicyDocument)).not.toContain(deadLetters.id);
    for (const r of Object.values(t.findResources("AWS::IAM::Role")))
      expect(JSON.stringify(r.Properties.Policies ?? [])).not.toContain(queue.id);
  });
});
