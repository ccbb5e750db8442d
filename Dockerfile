# syntax=docker/dockerfile:1
# Build stage: all dependencies, compile src/ and scripts/ to dist/.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY prisma ./prisma
COPY main.ts ./
COPY src ./src
COPY scripts ./scripts
RUN npm run build

# Production dependencies only. --omit=optional --omit=peer also leaves out the Prisma CLI and
# TypeScript, which @prisma/client names as optional peers (162 MB instead of 422 MB).
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --omit=peer --no-audit --no-fund && npm cache clean --force

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY scripts/build-if-needed.mjs ./scripts/build-if-needed.mjs
# Read at run time: the migrations, the seed data and the SDL files.
COPY prisma/migrations ./prisma/migrations
COPY data ./data
COPY src/graphql/schema ./src/graphql/schema
# The embedded database (used when DATABASE_URL is unset) writes under /app/.data (PGLITE_DIR's
# default .data/pglite): owned by the unprivileged user the service runs as; mount a volume there to keep it.
RUN mkdir -p /app/.data && chown node:node /app/.data
VOLUME /app/.data
USER node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Applies pending migrations and seeds an empty database before it serves. The command lines run
# from the build too: docker compose exec api npm run import -- postings FILE (or node dist/scripts/import.js ...).
CMD ["node", "--max-old-space-size=128", "dist/main.js"]
