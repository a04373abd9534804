# fleetlog: one image for every role. By default it runs the log server; see the end of this file
# for the witness.
#
#   docker build -t fleetlog .
#   docker volume create fleetlog-log
#   docker run --rm -v fleetlog-log:/data fleetlog log init --data /data --origin log.example.com/fleet
#   docker run --rm -v fleetlog-log:/data fleetlog log token add --data /data --name ceremony
#   docker run -d -p 8080:8080 -v fleetlog-log:/data -v $PWD/policy.txt:/etc/fleetlog/policy.txt:ro fleetlog

# Stage 1: install dependencies and compile. better-sqlite3 is a native addon; if no prebuilt
# binary matches, it compiles, which needs python3, make and g++ (kept out of the final image).
# `npm ci` runs the prepare script, which compiles what the CLI reaches to dist/ (esbuild, a dev
# dependency); then the dev dependencies are pruned. .dockerignore keeps tests and benches out.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY . .
RUN npm ci && npm prune --omit=dev && npm cache clean --force

# Stage 2: the runtime image: Node, the production dependencies and the compiled JavaScript only.
FROM node:20-bookworm-slim
ENV NODE_ENV=production FLEETLOG_RUN=dist
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/bin ./bin
COPY --from=build /app/dist ./dist
# A non-root user owns only the data volume; the code stays read-only to it.
RUN groupadd --system --gid 10001 fleetlog \
 && useradd --system --uid 10001 --gid fleetlog --home-dir /data --shell /usr/sbin/nologin fleetlog \
 && mkdir -p /data && chown fleetlog:fleetlog /data && chmod 700 /data
USER fleetlog
VOLUME ["/data"]
EXPOSE 8080
ENTRYPOINT ["node", "/app/bin/fleetlog.js"]
# The policy (witnesses and quorum) must be mounted: without it `log serve` refuses to start rather
# than run a log nobody witnesses (that takes an explicit --no-witnesses).
CMD ["log", "serve", "--data", "/data", "--listen", "0.0.0.0:8080", "--policy", "/etc/fleetlog/policy.txt"]

# To run a witness instead, override the command (same image, its own volume):
#   docker volume create fleetlog-witness
#   docker run --rm -v fleetlog-witness:/data fleetlog witness init --data /data --name witness.example.org/w1
#   docker run --rm -v fleetlog-witness:/data fleetlog witness add-log --data /data \
#     --origin log.example.com/fleet --vkey 'log.example.com/fleet+abcd1234+AX...'
#   docker run -d -p 8081:8080 -v fleetlog-witness:/data fleetlog witness serve --data /data --listen 0.0.0.0:8080
