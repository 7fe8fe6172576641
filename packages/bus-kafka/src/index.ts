// What other workspaces import from @reeltime/bus-kafka: the adapter that
// @reeltime/connectors' createBus loads when REELTIME_BUS=kafka.
export { createKafkaBus } from "./kafka-bus.ts";
