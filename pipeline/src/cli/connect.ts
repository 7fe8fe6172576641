import { type Archive, type Bus, createArchive, createBus } from "@reeltime/connectors";
import { TOPICS } from "@reeltime/events";
import { ConnectionEnv, loadEnv } from "@reeltime/runtime";

/** The bus and archive chosen by the environment, with the job topic ensured. */
export async function connect(env: NodeJS.ProcessEnv = process.env): Promise<{ bus: Bus; archive: Archive }> {
  const config = loadEnv(ConnectionEnv, env);
  const bus = await createBus(config);
  const archive = await createArchive(config).catch(async (err) => {
    await bus.shutdown();
    throw err;
  });
  await bus.ensureTopics([{ name: TOPICS.job, partitions: config.REELTIME_PARTITIONS }]);
  return { bus, archive };
}
