# A Bosun worker (and the codec server, with another command). Node 24 runs the TypeScript
# sources directly (type stripping); no build step.
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
RUN mkdir -p /app/.bosun && chown node:node /app/.bosun
USER node
EXPOSE 9464
CMD ["node", "worker/worker-main.ts"]
