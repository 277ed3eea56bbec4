# Sesame as a container: the built service on Node 20, data in /data for the SQLite default.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm ci && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
ENV SESAME_HOST=0.0.0.0 SESAME_DATABASE_URL=sqlite:/data/sesame.db
USER node
EXPOSE 5000
CMD ["node", "--max-semi-space-size=4", "--heap-growing-percent=100", "--no-allocation-site-pretenuring", "dist/sesame.cjs", "serve"]
