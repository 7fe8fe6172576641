// What other workspaces import from @reeltime/bus-kafka-platformatic: the adapter that
// @reeltime/connectors' createBus loads when REELTIME_BUS=kafka and REELTIME_KAFKA_DRIVER=platformatic,
// and its partitioner, with which the bench's kafka-encode places keys as the bus does.
export { javaCompatiblePartitioner } from "./partitioner.ts";
export { createPlatformaticKafkaBus } from "./platformatic-bus.ts";
