# A Bosun worker. Node 24 runs the TypeScript sources directly (type stripping).
FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY core ./core
COPY workflows ./workflows
COPY activities ./activities
COPY tools ./tools
COPY worker ./worker
COPY client ./client
USER node
CMD ["node", "worker/worker-main.ts"]
