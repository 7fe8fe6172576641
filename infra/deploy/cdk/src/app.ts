import { App } from "aws-cdk-lib";
import type { BusKind } from "./bus.ts";
import { ReeltimeStack } from "./stack.ts";

/**
 * `cdk synth [-c bus=kinesis|msk] [-c rateLimitStore=valkey|none] [-c stackName=...]
 * [-c cloudfrontRealtimeStreamArn=arn:aws:kinesis:...:stream/NAME [-c cloudfrontRealtimeStreamKeyArn=...]]`:
 * one stack, environment-agnostic.
 */
const app = new App();
const bus = (app.node.tryGetContext("bus") ?? "kinesis") as string;
if (bus !== "kinesis" && bus !== "msk") throw new Error(`-c bus=${bus}: choose kinesis or msk`);
const store = (app.node.tryGetContext("rateLimitStore") ?? "valkey") as string;
if (store !== "valkey" && store !== "none") throw new Error(`-c rateLimitStore=${store}: choose valkey or none`);
const cdnStreamArn = app.node.tryGetContext("cloudfrontRealtimeStreamArn") as string | undefined;
const cdnStreamKeyArn = app.node.tryGetContext("cloudfrontRealtimeStreamKeyArn") as string | undefined;
new ReeltimeStack(app, (app.node.tryGetContext("stackName") as string | undefined) ?? "Reeltime", {
  bus: bus as BusKind,
  rateLimitStore: store,
  // The CDN consumer's role (and on MSK its lease table) only for an operator's stream.
  ...(cdnStreamArn ? { cloudfrontRealtimeStreamArn: cdnStreamArn } : {}),
  ...(cdnStreamKeyArn ? { cloudfrontRealtimeStreamKeyArn: cdnStreamKeyArn } : {}),
});
app.synth();
