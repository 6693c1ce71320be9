# The cluster-mode sync image (input `sync-image`): Node 24 running the bundled CLI. Each shard pod of the sync
# Job runs `arena-ft-pipeline sync-shard` (the Job passes only that argument; the plan and the credentials come
# through env from a ConfigMap and a Secret).
#
#   npm ci && npm run build                  # dist/cli is the bundle the image ships
#   docker build -t ghcr.io/<owner>/arena-ft-pipeline-sync:<package version> .
#
# For a cluster in China, push the same image to Container Registry (ACR) and set `sync-image` to it, e.g.
# registry.cn-beijing.aliyuncs.com/<namespace>/arena-ft-pipeline-sync:<package version> (in-region pulls, no
# cross-border registry traffic). CI does not build this image (no registry is reachable there); the sandbox's
# kubelet runs dist/cli/index.js as the image's process instead (test/integration/sync-cluster.test.ts).
FROM node:24-slim
WORKDIR /app
COPY dist/cli/ /app/dist/cli/
# the bundle is an ES module
RUN printf '{ "type": "module" }\n' > /app/dist/cli/package.json
ENV NODE_ENV=production
USER node
ENTRYPOINT ["node", "/app/dist/cli/index.js"]
