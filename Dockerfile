# KRYONIX Integration Platform. Build: docker build -t kryonix .
# Run embedded: docker run -p 3012:3012 -v kryonix-data:/data kryonix
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production KRYONIX_DATA_DIR=/data API_GATEWAY_PORT=3012
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/drizzle ./drizzle
COPY --from=build /app/dashboard/dist ./dashboard/dist
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 3012
HEALTHCHECK --interval=15s --timeout=3s CMD node -e "fetch('http://127.0.0.1:3012/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# NODE_ENV=production refuses to start without API_ENCRYPTION_KEY: pass it (openssl rand -base64 32).
CMD ["node", "dist/cli.js", "start"]
