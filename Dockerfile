# Flotilla: the API and every worker role run from this one image; the
# command and FLOTILLA_TASK_QUEUES pick the role (see docker-compose.yml).

# The programs the helm and KWOK activities run, at the versions the tests use
# (tools/versions.json), from their release downloads: helm, kwok and kwokctl,
# kube-apiserver, kube-controller-manager, kube-scheduler, etcd.
FROM node:24-bookworm-slim AS tools
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY tools/versions.json tools/
COPY scripts/install-tools.sh scripts/
RUN FLOTILLA_TOOLS=/opt/flotilla/tools bash scripts/install-tools.sh helm kwok etcd kubernetes

# Runtime dependencies only; tsx is one of them (the TypeScript runs as it is).
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    FLOTILLA_TOOLS=/opt/flotilla/tools \
    FLOTILLA_DATA_DIR=/data
COPY --from=tools /opt/flotilla/tools /opt/flotilla/tools
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY tools/versions.json tools/
COPY src ./src
# Charts Flotilla installs itself (the cluster-autoscaler on EKS).
COPY deploy/charts ./deploy/charts
COPY scripts/build-workflow-bundle.ts scripts/
# The workflows bundled once here, so a worker loads them (FLOTILLA_WORKFLOW_BUNDLE) instead of bundling at start.
RUN node --import tsx scripts/build-workflow-bundle.ts /app/workflow-bundle.js
# A named volume mounted here takes this owner, so the unprivileged user can write it.
RUN mkdir /data && chown node:node /data
USER node
EXPOSE 8080
# node itself (not the tsx wrapper) is the process, so SIGTERM reaches Flotilla's shutdown.
CMD ["node", "--import", "tsx", "src/api/server.ts"]
