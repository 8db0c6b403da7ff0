# The focus image (the focus and its moderator portal). Build: docker build -t dcon-focus .
FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .npmrc* ./
COPY core/package.json core/
COPY prisma/package.json prisma/
COPY api/package.json api/
COPY media/package.json media/
COPY federation/package.json federation/
COPY web/package.json web/
COPY prisma/schema.prisma prisma/prisma.config.ts prisma/prisma.pg.config.ts prisma/
COPY prisma/scripts prisma/scripts
COPY prisma/src prisma/src
RUN npm ci --no-audit --no-fund
COPY . .
# the moderator portal is built into the image (offline: no fonts or telemetry to fetch)
RUN NEXT_TELEMETRY_DISABLED=1 npm run build:web
ENV HOST=0.0.0.0 PORT=4000 PORTAL_PORT=3000 NODE_ENV=production
EXPOSE 4000 3000
# the focus and its portal, stopped together
CMD ["node", "scripts/start.mjs"]
