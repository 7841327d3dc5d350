# notify-stats: one image for every service; the command picks the service.
#
#   docker build -t notify-stats:0.1.0 .
#   docker run --rm -e CLICKHOUSE_URL=... notify-stats:0.1.0 migrate
#   docker run --rm -e KAFKA_BROKERS=... -e CLICKHOUSE_URL=... notify-stats:0.1.0 ingest
#
# Commands: ingest | rollups | api (default) | migrate | start (all in one).
# There is no compile step: TypeScript runs through tsx at runtime (tsx is a regular
# dependency of services/cli, so `npm ci --omit=dev` keeps it).
# Health checks are defined in docker-compose.yml, because only `api` serves HTTP.

# ---------------------------------------------------------------------------
# deps: production node_modules only. The package.json files are copied on their
# own so this layer is rebuilt only when dependencies change, not on every edit.
# Every workspace listed in the root package.json must be copied here, or `npm ci`
# sees a lockfile that does not match the tree (test/docker/compose.test.ts checks it).
# ---------------------------------------------------------------------------
FROM node:20.19-bookworm-slim AS deps
WORKDIR /app
ENV NODE_ENV=production

COPY package.json package-lock.json .npmrc ./
COPY packages/clickhouse/package.json packages/clickhouse/
COPY packages/events/package.json     packages/events/
COPY packages/kafka/package.json      packages/kafka/
COPY packages/london/package.json     packages/london/
COPY packages/loadgen/package.json    packages/loadgen/
COPY packages/money/package.json      packages/money/
COPY packages/runtime/package.json    packages/runtime/
COPY services/api/package.json        services/api/
COPY services/cli/package.json        services/cli/
COPY services/ingest/package.json     services/ingest/
COPY services/rollups/package.json    services/rollups/
COPY infra/kafka/package.json         infra/kafka/
COPY test/package.json                test/

# Note on chdb: it is a regular dependency of @notify-stats/clickhouse, so it is
# installed here, and its platform package (@chdb/lib-linux-*-gnu) adds ~550 MB.
# It is only loaded (dynamic import) when CLICKHOUSE_URL is unset; containers always
# talk to a ClickHouse server, so in the image it is dead weight that we keep for
# now to leave the dependency tree exactly as locked.
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# ---------------------------------------------------------------------------
# runtime
# ---------------------------------------------------------------------------
FROM node:20.19-bookworm-slim AS runtime
WORKDIR /app
# HOST: the api binds 127.0.0.1 by default, which is unreachable from outside a container.
ENV NODE_ENV=production \
    HOST=0.0.0.0

# node_modules first (root and nested ones such as services/cli/node_modules),
# together with the package.json files and the lockfile; the source goes on top.
COPY --from=deps /app ./

COPY tsconfig.base.json ./
COPY bin ./bin
COPY packages ./packages
COPY services ./services
COPY infra/kafka/package.json infra/kafka/
COPY infra/kafka/src infra/kafka/src

# The code stays owned by root (read-only for the service); only the data folder
# used by the embedded fallback (DATA_DIR, default .data) is writable by `node`.
RUN mkdir -p /app/.data && chown node:node /app/.data

USER node
EXPOSE 6011

ENTRYPOINT ["node", "bin/notify-stats.mjs"]
CMD ["api"]
