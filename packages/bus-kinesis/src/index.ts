// What other workspaces import from @reeltime/bus-kinesis: the adapter that
// @reeltime/connectors' createBus loads when REELTIME_BUS=kinesis, and the lease store the
// drill seeds (createCheckpointStore, startGroupsAtEnd) and stream-processors' lease test reads.
export { DynamoDbCheckpointStore } from "./checkpoints-dynamodb.ts";
export { createCheckpointStore, createKinesisBus } from "./kinesis-bus.ts";
export { startGroupsAtEnd } from "./seed.ts";
