import { App } from "aws-cdk-lib";
import type { BusKind } from "./bus.ts";
import { ReeltimeStack } from "./stack.ts";

/** `cdk synth [-c bus=kinesis|msk] [-c stackName=...]`: one stack, environment-agnostic. */
const app = new App();
const bus = (app.node.tryGetContext("bus") ?? "kinesis") as string;
if (bus !== "kinesis" && bus !== "msk") throw new Error(`-c bus=${bus}: choose kinesis or msk`);
new ReeltimeStack(app, (app.node.tryGetContext("stackName") as string | undefined) ?? "Reeltime", {
  bus: bus as BusKind,
});
app.synth();
