import { ALL_TOPICS, TOPICS, type Topic } from "@reeltime/events";
import { Duration, RemovalPolicy, type Stack } from "aws-cdk-lib";
import { AttributeType, BillingMode, Table, TableEncryption } from "aws-cdk-lib/aws-dynamodb";
import { CfnSecurityGroup, CfnSecurityGroupIngress } from "aws-cdk-lib/aws-ec2";
import { Stream, StreamEncryption, StreamMode } from "aws-cdk-lib/aws-kinesis";
import { CfnBatchScramSecret, CfnCluster } from "aws-cdk-lib/aws-msk";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import { kinesisParameters, mskParameters } from "./params.ts";
import type { Storage } from "./storage.ts";

export type BusKind = "kinesis" | "msk";

/** One Kinesis stream per topic, named as the contract names it (the app finds them by name). */
export function kinesisStreams(stack: Stack, s: Storage) {
  const p = kinesisParameters(stack);
  const streams = new Map<Topic, Stream>();
  for (const topic of ALL_TOPICS) {
    const id = `Stream${topic.replace("reeltime.", "").replaceAll(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase())}`;
    streams.set(
      topic,
      new Stream(stack, id, {
        streamName: topic,
        streamMode: StreamMode.PROVISIONED,
        shardCount: topic === TOPICS.playback ? p.playbackShards.valueAsNumber : p.otherShards.valueAsNumber,
        retentionPeriod: Duration.hours(p.retentionHours.valueAsNumber),
        encryption: StreamEncryption.KMS,
        encryptionKey: s.key,
      }),
    );
  }
  return { kind: "kinesis" as const, streams, leases: leaseTable(stack, s) };
}

/** The lease table's name (REELTIME_KINESIS_LEASE_TABLE's default). */
export const LEASE_TABLE = "reeltime-kinesis-leases";

/**
 * The Kinesis consumers' shard leases and checkpoints (packages/bus-kinesis, DynamoDbCheckpointStore):
 * one row per (consumer group|stream, shard), on-demand capacity (a few writes per shard per
 * lease time, docs/capacity.md), TTL on `ttl` for rows of groups and streams that are gone,
 * point-in-time recovery (losing it means re-reading the streams' retention), the data key.
 */
export function leaseTable(stack: Stack, s: Storage): Table {
  return new Table(stack, "KinesisLeaseTable", {
    tableName: LEASE_TABLE,
    partitionKey: { name: "leaseGroup", type: AttributeType.STRING },
    sortKey: { name: "leaseKey", type: AttributeType.STRING },
    billingMode: BillingMode.PAY_PER_REQUEST,
    timeToLiveAttribute: "ttl",
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: TableEncryption.CUSTOMER_MANAGED,
    encryptionKey: s.key,
    removalPolicy: RemovalPolicy.RETAIN,
  });
}

/**
 * An MSK cluster reached with SASL/SCRAM over TLS (kafkajs has no MSK IAM auth built in):
 * the SCRAM user lives in a Secrets Manager secret (MSK wants the AmazonMSK_ prefix and a
 * customer-managed key), encryption at rest with the data key and TLS between brokers.
 */
export function mskCluster(stack: Stack, s: Storage) {
  const p = mskParameters(stack);
  const sg = new CfnSecurityGroup(stack, "BrokerSecurityGroup", {
    groupDescription: "reeltime MSK brokers",
    vpcId: p.vpc.valueAsString,
  });
  new CfnSecurityGroupIngress(stack, "BrokerIngressFromClients", {
    groupId: sg.attrGroupId,
    ipProtocol: "tcp",
    fromPort: 9096,
    toPort: 9096,
    sourceSecurityGroupId: p.clientSecurityGroup.valueAsString,
    description: "SASL/SCRAM over TLS from reeltime pods",
  });
  const cluster = new CfnCluster(stack, "Kafka", {
    clusterName: "reeltime",
    kafkaVersion: p.kafkaVersion.valueAsString,
    numberOfBrokerNodes: p.brokers.valueAsNumber,
    brokerNodeGroupInfo: {
      instanceType: p.brokerType.valueAsString,
      clientSubnets: p.subnets.valueAsList,
      securityGroups: [sg.attrGroupId],
      storageInfo: { ebsStorageInfo: { volumeSize: p.volumeGiB.valueAsNumber } },
    },
    clientAuthentication: { sasl: { scram: { enabled: true } } },
    encryptionInfo: {
      encryptionAtRest: { dataVolumeKmsKeyId: s.key.keyArn },
      encryptionInTransit: { clientBroker: "TLS", inCluster: true },
    },
    enhancedMonitoring: "PER_TOPIC_PER_PARTITION",
  });
  const scram = new Secret(stack, "KafkaScramSecret", {
    secretName: "AmazonMSK_reeltime",
    description: "SASL/SCRAM user of reeltime (REELTIME_KAFKA_SASL_USERNAME/PASSWORD)",
    encryptionKey: s.key,
    generateSecretString: {
      secretStringTemplate: JSON.stringify({ username: "reeltime" }),
      generateStringKey: "password",
      excludePunctuation: true,
      passwordLength: 32,
    },
  });
  new CfnBatchScramSecret(stack, "KafkaScramAssociation", {
    clusterArn: cluster.attrArn,
    secretArnList: [scram.secretArn],
  });
  return { kind: "msk" as const, cluster, scram };
}

export type Bus = ReturnType<typeof kinesisStreams> | ReturnType<typeof mskCluster>;
