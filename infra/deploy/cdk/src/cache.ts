import { CfnParameter, Fn, type Stack } from "aws-cdk-lib";
import { CfnServerlessCache, CfnUser, CfnUserGroup } from "aws-cdk-lib/aws-elasticache";
import type { IKey } from "aws-cdk-lib/aws-kms";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import { privateService } from "./network.ts";

/** Where the rate-limit counters every ingest replica shares live (`-c rateLimitStore=...`). */
export type RateLimitStoreKind = "valkey" | "none";

/** The Valkey user ingest signs in as; it may touch the rate-limit keys (`reeltime:*`) only. */
export const VALKEY_USER = "reeltime-ingest";

/** Valkey's ports on ElastiCache Serverless: 6379 (primary) and 6380 (reads from replicas). */
export const VALKEY_PORTS = { from: 6379, to: 6380 } as const;

/**
 * ElastiCache Serverless (Valkey 8) for the ingest rate limits (REELTIME_REDIS_URL). TLS is
 * always on (so the URL is rediss://); only the ingest pods' security group reaches it, on the
 * Valkey ports; and only a signed-in user: the default user is off, and ingest's own user
 * (password generated into a secret under the stack's key) may use the `reeltime:*` keys only.
 * The counters live a minute: no snapshots are kept.
 */
export function rateLimitStore(stack: Stack, key: IKey) {
  const { subnets, securityGroup: sg } = privateService(stack, {
    id: "RateLimitStore",
    name: "rate-limit store",
    engine: "ElastiCache Valkey",
    clients: "ingest pods",
    ports: VALKEY_PORTS,
    ingress: { id: "IngressFromIngest", description: "Valkey over TLS from reeltime ingest pods" },
  });
  const maxGb = new CfnParameter(stack, "RateLimitStoreMaxDataGB", {
    type: "Number",
    default: 1,
    minValue: 1,
    maxValue: 5000,
    description:
      "upper bound of the rate-limit store's data (a counter per key and per IP a minute: 1 GB holds millions)",
  });
  const secret = new Secret(stack, "RateLimitStoreUserSecret", {
    description: `Valkey user of reeltime ingest: REELTIME_REDIS_URL=rediss://${VALKEY_USER}:<password>@<endpoint>:6379`,
    encryptionKey: key,
    generateSecretString: {
      secretStringTemplate: JSON.stringify({ username: VALKEY_USER }),
      generateStringKey: "password",
      excludePunctuation: true,
      passwordLength: 32,
    },
  });
  // A user group needs a user named "default": it is switched off (it cannot sign in or run anything).
  const off = new CfnUser(stack, "RateLimitStoreDefaultUser", {
    engine: "valkey",
    userId: "reeltime-default-off",
    userName: "default",
    accessString: "off -@all",
    noPasswordRequired: true,
  });
  const ingest = new CfnUser(stack, "RateLimitStoreIngestUser", {
    engine: "valkey",
    userId: VALKEY_USER,
    userName: VALKEY_USER,
    accessString: "on ~reeltime:* +@all -@dangerous",
    authenticationMode: {
      Type: "password",
      Passwords: [secret.secretValueFromJson("password").unsafeUnwrap()],
    },
  });
  const users = new CfnUserGroup(stack, "RateLimitStoreUsers", {
    engine: "valkey",
    userGroupId: "reeltime-rate-limits",
    userIds: [off.userId, ingest.userId],
  });
  users.addDependency(off);
  users.addDependency(ingest);
  const cache = new CfnServerlessCache(stack, "RateLimitStore", {
    serverlessCacheName: "reeltime-rate-limits",
    engine: "valkey",
    majorEngineVersion: "8",
    description: "rate-limit counters shared by every ingest replica (REELTIME_REDIS_URL)",
    securityGroupIds: [sg.attrGroupId],
    subnetIds: subnets.valueAsList,
    cacheUsageLimits: { dataStorage: { maximum: maxGb.valueAsNumber, unit: "GB" } },
    snapshotRetentionLimit: 0,
    userGroupId: users.userGroupId,
  });
  cache.addDependency(users);
  // Without the password: it stays in the secret (the chart's Secret gets the URL with it).
  const url = Fn.join("", ["rediss://", VALKEY_USER, "@", cache.attrEndpointAddress, ":", cache.attrEndpointPort]);
  return { cache, securityGroup: sg, url, secret };
}
