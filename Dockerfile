# syntax=docker/dockerfile:1
# Build: compile TypeScript and native modules (argon2, better-sqlite3, pkcs11js) with the toolchain.
FROM node:22-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json ./
COPY packages/resource-server/package.json packages/resource-server/tsconfig.json packages/resource-server/
COPY src src
COPY adapters adapters
COPY keys keys
COPY errors errors
COPY scripts scripts
COPY test test
COPY packages/resource-server/src packages/resource-server/src
COPY packages/resource-server/test packages/resource-server/test
# `npm ci` runs `prepare`, which builds dist/; then drop dev dependencies.
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund

# Run: no compiler, no sources, an unprivileged user.
FROM node:22-bookworm-slim
ENV NODE_ENV=production PORT=3000 TOLLGATE_DATA_DIR=/data DATABASE_URL=sqlite:/data/tollgate.sqlite
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY --from=build /app/packages/resource-server/package.json packages/resource-server/
COPY --from=build /app/packages/resource-server/dist packages/resource-server/dist
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/src/cli/entry.js", "serve"]
