# Flotilla: API and workers (the same image; the command picks the role).
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY src ./src
COPY tools ./tools
USER node
EXPOSE 8080
CMD ["node_modules/.bin/tsx", "src/api/server.ts"]
