import { CfnDeletionPolicy, CfnParameter, Fn, type Stack } from "aws-cdk-lib";
import type { IKey } from "aws-cdk-lib/aws-kms";
import { CfnDBInstance, CfnDBSubnetGroup } from "aws-cdk-lib/aws-rds";
import { privateService } from "./network.ts";

/** PostgreSQL's port. */
export const POSTGRES_PORT = 5432;
/** The database and the master user the platform roles sign in as. */
export const DATABASE_NAME = "reeltime";
export const DATABASE_USER = "reeltime";

/**
 * RDS for PostgreSQL holding the platform's tables (upload sessions, the video catalogue,
 * webhook endpoints and deliveries; each role runs its own versioned migrations at start).
 * Encrypted with the stack's key, never public, reached only from the given security group
 * (the upload API, catalogue updater and notifier pods, or the EKS nodes) on 5432; the master
 * password is generated and kept by RDS in Secrets Manager under the stack's key. The chart's
 * REELTIME_PG_URL is postgres://reeltime:<password>@<endpoint>:5432/reeltime?sslmode=require.
 */
export function platformDatabase(stack: Stack, key: IKey) {
  const { subnets, securityGroup: sg } = privateService(stack, {
    id: "PlatformDatabase",
    name: "platform database",
    engine: "RDS PostgreSQL",
    clients: "pods",
    ports: { from: POSTGRES_PORT, to: POSTGRES_PORT },
    ingress: {
      id: "IngressFromPods",
      description: "PostgreSQL from reeltime's upload API, catalogue updater and notifier",
    },
  });
  const instanceClass = new CfnParameter(stack, "PlatformDatabaseInstanceClass", {
    type: "String",
    default: "db.t4g.medium",
    description: "RDS instance class of the platform database",
  });
  const storageGb = new CfnParameter(stack, "PlatformDatabaseStorageGB", {
    type: "Number",
    default: 20,
    minValue: 20,
    maxValue: 65536,
    description: "allocated storage of the platform database (gp3; RDS grows it up to 1,000 GB)",
  });
  const subnetGroup = new CfnDBSubnetGroup(stack, "PlatformDatabaseSubnets", {
    dbSubnetGroupDescription: "private subnets of the reeltime platform database",
    subnetIds: subnets.valueAsList,
  });
  const db = new CfnDBInstance(stack, "PlatformDatabase", {
    engine: "postgres",
    engineVersion: "17.9",
    dbInstanceClass: instanceClass.valueAsString,
    allocatedStorage: storageGb.valueAsString,
    maxAllocatedStorage: 1000,
    storageType: "gp3",
    storageEncrypted: true,
    kmsKeyId: key.keyArn,
    dbName: DATABASE_NAME,
    masterUsername: DATABASE_USER,
    manageMasterUserPassword: true,
    masterUserSecret: { kmsKeyId: key.keyArn },
    dbSubnetGroupName: subnetGroup.ref,
    vpcSecurityGroups: [sg.attrGroupId],
    publiclyAccessible: false,
    multiAz: true,
    backupRetentionPeriod: 7,
    deletionProtection: true,
    copyTagsToSnapshot: true,
    autoMinorVersionUpgrade: true,
  });
  // Deleting the stack keeps a final snapshot of the catalogue.
  db.cfnOptions.deletionPolicy = CfnDeletionPolicy.SNAPSHOT;
  db.cfnOptions.updateReplacePolicy = CfnDeletionPolicy.SNAPSHOT;
  return {
    instance: db,
    securityGroup: sg,
    /** The URL without its password (the secret holds it). */
    url: Fn.join("", [
      `postgres://${DATABASE_USER}:<password>@`,
      db.attrEndpointAddress,
      `:${POSTGRES_PORT}/${DATABASE_NAME}?sslmode=require`,
    ]),
  };
}
