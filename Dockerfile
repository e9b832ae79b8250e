# hradba container image: compile in the first stage, ship only production dependencies and the built code.
#
#   docker build -t hradba .
#   docker run -d --name hradba --read-only --cap-drop ALL -p 53:53/udp -p 53:53/tcp -p 127.0.0.1:9153:9153 \
#     -v /etc/hradba:/etc/hradba:ro hradba serve --config /etc/hradba/hradba.yaml
#   docker kill -s HUP hradba        # reload config and lists
#
# The README's Container section explains ports, mounts, reload, health, monitoring and upgrades.

FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the `node` devDependency would download a second Node binary; the base image has Node 24.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
RUN node node_modules/typescript/bin/tsc -p tsconfig.json

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
# Memory that follows the config (README "Memory"): glibc hands big freed buffers back to the system at once, so
# RSS stays flat across reloads of big lists, and V8's young generation stays small (4 MiB semi-spaces instead of
# up to 64 MiB), so RSS grows with cache.maxBytes and not with the query rate.
ENV MALLOC_MMAP_THRESHOLD_=131072 NODE_OPTIONS=--max-semi-space-size=4
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts \
 && npm cache clean --force \
 && rm -rf /root/.npm /tmp/*
COPY --from=build /src/dist ./dist
COPY config ./config
COPY blocklists ./blocklists
# Nothing is written at run time (logs go to stdout), so the root filesystem may be mounted read-only.
# The node user (uid 1000) cannot change the code, the config or the lists.
USER node
# DNS on 53 (UDP and TCP): the non-root user may bind it because Docker (>= 20.10) sets
# net.ipv4.ip_unprivileged_port_start=0 in the container; elsewhere add --cap-add NET_BIND_SERVICE
# (a file capability is not needed: the sysctl or the capability suffices), or listen on a port >= 1024.
# 9153 is the admin endpoint (/healthz, /readyz, /metrics) when it is turned on.
EXPOSE 53/udp 53/tcp 9153/tcp
# Node is PID 1 on purpose: hradba handles SIGTERM/SIGINT (drain, flush the log, exit 0) and SIGHUP (reload)
# itself and starts no child processes, so there is nothing for an init to reap or forward.
STOPSIGNAL SIGTERM
# A real DNS query (localhost A, answered locally, no upstream needed), not just "the process exists".
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "/app/dist/cli/main.js", "health", "--server", "127.0.0.1:53", "--timeout", "3s"]
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
# The embedded config with every interface on port 53; mount your own at /etc/hradba and pass --config.
CMD ["serve", "--config", "/app/config/hradba.yaml", "--listen", "0.0.0.0:53"]
