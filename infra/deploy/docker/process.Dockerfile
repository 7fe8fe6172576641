# syntax=docker/dockerfile:1
# Build from the repository root: docker build -f infra/deploy/docker/process.Dockerfile -t reeltime/process .
# The TypeScript sources run on Node's type stripping: there is no compile step, only the
# production dependencies and the sources of this role's workspaces (tests, docs and dev
# tooling left out by process.Dockerfile.dockerignore).
ARG NODE_IMAGE=node:26.10.0-trixie-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
# Only the manifests of the workspaces this role runs (cli, stream-processors, infra/deploy, catalogue, notifier,
# cdn-logs for `reeltime cdn consume`) and the
# libraries they depend on: the CLI loads each command's app lazily and names the apps as
# optional peers.
# npm ci installs the lockfile's production tree (npm does not narrow it to the workspaces
# present, with -w or without); what the image leaves out is every other workspace's code.
COPY package.json package-lock.json ./
COPY packages/events/package.json packages/events/
COPY packages/runtime/package.json packages/runtime/
COPY packages/ports/package.json packages/ports/
COPY packages/connectors/package.json packages/connectors/
COPY packages/bus-kafka/package.json packages/bus-kafka/
COPY packages/bus-kinesis/package.json packages/bus-kinesis/
COPY packages/archive-s3/package.json packages/archive-s3/
COPY packages/search-elasticsearch/package.json packages/search-elasticsearch/
COPY packages/processing/package.json packages/processing/
COPY packages/database/package.json packages/database/
COPY packages/cdn-logs/package.json packages/cdn-logs/
COPY cli/package.json cli/
COPY stream-processors/package.json stream-processors/
COPY infra/deploy/package.json infra/deploy/
COPY catalogue/package.json catalogue/
COPY notifier/package.json notifier/
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM deps AS build
COPY packages/events packages/events
COPY packages/runtime packages/runtime
COPY packages/ports packages/ports
COPY packages/connectors packages/connectors
COPY packages/bus-kafka packages/bus-kafka
COPY packages/bus-kinesis packages/bus-kinesis
COPY packages/archive-s3 packages/archive-s3
COPY packages/search-elasticsearch packages/search-elasticsearch
COPY packages/processing packages/processing
COPY packages/database packages/database
COPY packages/cdn-logs packages/cdn-logs
COPY cli cli
COPY stream-processors stream-processors
COPY infra/deploy infra/deploy
COPY catalogue catalogue
COPY notifier notifier
COPY tsconfig.base.json ./

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    REELTIME_ENV=production \
    REELTIME_DATA_DIR=/var/lib/reeltime
WORKDIR /app
RUN groupadd --system --gid 10001 reeltime \
 && useradd --system --uid 10001 --gid reeltime --home-dir /var/lib/reeltime --shell /usr/sbin/nologin reeltime \
 && mkdir -p /var/lib/reeltime \
 && chown reeltime:reeltime /var/lib/reeltime
COPY --from=build --chown=root:root /app /app
USER 10001:10001
EXPOSE 9464
HEALTHCHECK --interval=15s --timeout=3s CMD ["node", "-e", "fetch('http://127.0.0.1:9464/healthz').then(function(r){process.exit(r.ok?0:1)},function(){process.exit(1)})"]
ENTRYPOINT ["node", "cli/bin/reeltime.js"]
# `process --only <name>` per Deployment (and `cdn consume` for the chart's cdnConsumer); the Helm
# upgrade hook runs node infra/deploy/setup/setup.ts.
CMD ["process"]
