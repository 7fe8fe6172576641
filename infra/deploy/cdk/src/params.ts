import { CfnParameter, type Stack } from "aws-cdk-lib";

/** Deploy-time parameters shared by every variant of the stack. */
export function commonParameters(stack: Stack) {
  return {
    eksCluster: new CfnParameter(stack, "EksClusterName", {
      type: "String",
      description: "EKS cluster whose pods get the component roles through EKS Pod Identity",
      minLength: 1,
      maxLength: 100,
    }),
    namespace: new CfnParameter(stack, "Namespace", {
      type: "String",
      default: "reeltime",
      description: "Kubernetes namespace of the Helm release",
      allowedPattern: "[a-z0-9]([-a-z0-9]*[a-z0-9])?",
    }),
    retentionDays: new CfnParameter(stack, "ArchiveRetentionDays", {
      type: "Number",
      default: 395,
      minValue: 31,
      maxValue: 3650,
      description: "days an archived event or record is kept (moved to Intelligent-Tiering after 30)",
    }),
    scanCutoffBytes: new CfnParameter(stack, "AthenaBytesScannedCutoff", {
      type: "Number",
      default: 10 * 1024 ** 3,
      minValue: 10 * 1024 ** 2,
      description: "largest number of bytes one Athena query of the reeltime workgroup may scan",
    }),
    database: new CfnParameter(stack, "GlueDatabaseName", {
      type: "String",
      default: "reeltime",
      allowedPattern: "[a-z0-9_]{1,255}",
      description: "Glue/Athena database (REELTIME_ATHENA_DATABASE)",
    }),
    workgroup: new CfnParameter(stack, "AthenaWorkgroupName", {
      type: "String",
      default: "reeltime",
      allowedPattern: "[a-zA-Z0-9._-]{1,128}",
      description: "Athena workgroup (REELTIME_ATHENA_WORKGROUP)",
    }),
    esUrl: new CfnParameter(stack, "ElasticsearchUrl", {
      type: "String",
      allowedPattern: "https://.+",
      description: "Elasticsearch 8 endpoint (Elastic Cloud or self-run; OpenSearch is refused by the official client)",
    }),
    esApiKey: new CfnParameter(stack, "ElasticsearchApiKey", {
      type: "String",
      noEcho: true,
      minLength: 1,
      description: "Elasticsearch API key, stored in Secrets Manager (REELTIME_ES_API_KEY)",
    }),
  };
}

export type CommonParameters = ReturnType<typeof commonParameters>;

export function kinesisParameters(stack: Stack) {
  return {
    playbackShards: new CfnParameter(stack, "PlaybackShards", {
      type: "Number",
      default: 4,
      minValue: 1,
      maxValue: 1024,
      description: "shards of reeltime.playback (see docs/capacity.md: 1,000 records/s or 1 MB/s in per shard)",
    }),
    otherShards: new CfnParameter(stack, "OtherStreamShards", {
      type: "Number",
      default: 1,
      minValue: 1,
      maxValue: 1024,
      description: "shards of reeltime.click, reeltime.job, reeltime.api and reeltime.dead-letter",
    }),
    retentionHours: new CfnParameter(stack, "StreamRetentionHours", {
      type: "Number",
      default: 24,
      minValue: 24,
      maxValue: 8760,
      description: "hours a record stays in a stream (how long processors may be down without losing data)",
    }),
  };
}

export function mskParameters(stack: Stack) {
  return {
    kafkaVersion: new CfnParameter(stack, "KafkaVersion", {
      type: "String",
      default: "3.9.x",
      description: "MSK Kafka version",
    }),
    brokerType: new CfnParameter(stack, "BrokerInstanceType", {
      type: "String",
      default: "kafka.m7g.large",
      description: "MSK broker instance type",
    }),
    brokers: new CfnParameter(stack, "BrokerCount", {
      type: "Number",
      default: 3,
      minValue: 2,
      description: "number of brokers (a multiple of the number of subnets)",
    }),
    volumeGiB: new CfnParameter(stack, "BrokerVolumeGiB", {
      type: "Number",
      default: 1000,
      minValue: 10,
      maxValue: 16384,
      description: "EBS storage per broker",
    }),
    subnets: new CfnParameter(stack, "SubnetIds", {
      type: "List<AWS::EC2::Subnet::Id>",
      description: "private subnets of the brokers, one per availability zone",
    }),
    vpc: new CfnParameter(stack, "VpcId", { type: "AWS::EC2::VPC::Id", description: "VPC of the subnets" }),
    clientSecurityGroup: new CfnParameter(stack, "KafkaClientSecurityGroupId", {
      type: "AWS::EC2::SecurityGroup::Id",
      description: "security group of the EKS nodes/pods allowed to reach the brokers (SASL/SCRAM over TLS, 9096)",
    }),
  };
}
