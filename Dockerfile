# ticketd in a container (docs/operations.md, "Container"): built from this
# checkout, installed as users install it (the packed tarball, npm install -g),
# run as the unprivileged `node` user, data in the /data volume.
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
COPY packages/client/package.json packages/client/
RUN npm ci --no-audit --no-fund
COPY . .
# prepack builds the bin, the console and the client.
RUN npm pack --pack-destination /tmp

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    TICKETD_LISTEN=0.0.0.0:5200 \
    TICKETD_STORE=sqlite:/data/ticketd.db
COPY --from=build /tmp/ticketd-*.tgz /tmp/
RUN npm install -g --no-audit --no-fund /tmp/ticketd-*.tgz \
 && rm /tmp/ticketd-*.tgz && npm cache clean --force \
 && mkdir /data && chown node:node /data
USER node
WORKDIR /data
VOLUME /data
EXPOSE 5200
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:5200/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["ticketd", "serve"]
