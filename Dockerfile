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
# What the worker serves beyond the built-in tools: the demo's app here; point BOSUN_APP at
# your own module (catalog, catalogModule, handlers) in an image of your own.
COPY examples/demo ./examples/demo
ENV BOSUN_APP=examples/demo/app.ts
RUN mkdir -p /app/.bosun && chown node:node /app/.bosun
USER node
EXPOSE 9464
CMD ["node", "worker/worker-main.ts"]
