# syntax=docker/dockerfile:1
# Build from the repository root: docker build -f infra/deploy/docker/pipeline.Dockerfile -t reeltime/pipeline .
# The TypeScript sources run on Node's type stripping: there is no compile step, only the
# production dependencies and the sources of this role's workspaces (tests, docs and dev
# tooling left out by pipeline.Dockerfile.dockerignore).
ARG NODE_IMAGE=node:26.10.0-trixie-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
# Only the manifests of the workspaces this role runs (cli, pipeline) and the
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
COPY packages/analysis-rekognition/package.json packages/analysis-rekognition/
COPY cli/package.json cli/
COPY pipeline/package.json pipeline/
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM deps AS build
COPY packages/events packages/events
COPY packages/runtime packages/runtime
COPY packages/ports packages/ports
COPY packages/connectors packages/connectors
COPY packages/bus-kafka packages/bus-kafka
COPY packages/bus-kinesis packages/bus-kinesis
COPY packages/archive-s3 packages/archive-s3
COPY packages/analysis-rekognition packages/analysis-rekognition
COPY cli cli
COPY pipeline pipeline
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
# Debian's ffmpeg/ffprobe drive the transcodes (versions follow the base image's release).
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build --chown=root:root /app /app
USER 10001:10001
ENTRYPOINT ["node", "cli/bin/reeltime.js"]
CMD ["pipeline", "worker"]
