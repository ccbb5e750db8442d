FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json ./
COPY prisma ./prisma
COPY data ./data
COPY src ./src
COPY scripts ./scripts
EXPOSE 4000
USER node
# Applies pending migrations and seeds an empty database before it serves.
CMD ["node_modules/.bin/tsx", "src/main.ts"]
