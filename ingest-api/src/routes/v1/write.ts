import type { FastifyPluginAsync } from "fastify";
import type { RoutesOptions } from "../../context.ts";
import { cmcdRoute } from "./cmcd.ts";
import { eventsRoute } from "./events.ts";
import { writeGuard } from "./write-guard.ts";

/**
 * The write API (`POST /events`, `POST /cmcd`; registered under `/v1`). Its own encapsulated
 * context: the write guard's `onRequest` hook and the `request.writer` decoration apply to these
 * routes only, and run before any body is read or decompressed.
 */
export const writeRoutes: FastifyPluginAsync<RoutesOptions> = async (app, { ctx }) => {
  app.decorateRequest("writer", null);
  app.addHook("onRequest", writeGuard(ctx));
  await app.register(eventsRoute, { ctx });
  await app.register(cmcdRoute, { ctx });
};
