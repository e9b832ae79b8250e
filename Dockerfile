# hradba container image: compile in the first stage, ship only production dependencies and the built code.
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# The devDependencies carry the compiler and the test runner; the node@24 binary package is not needed here.
RUN npm ci --no-audit --no-fund --omit=optional --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
RUN npx tsc -p tsconfig.json

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force
COPY --from=build /src/dist ./dist
COPY config ./config
COPY blocklists ./blocklists
# The embedded config listens on loopback only; in a container hradba serves port 53 on every interface.
# Mount your own config over /etc/hradba to change anything else.
USER node
EXPOSE 53/udp 53/tcp
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
CMD ["serve", "--config", "/app/config/hradba.yaml", "--listen", "0.0.0.0:53", "--listen", "[::]:53"]
