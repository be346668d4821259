# sto in a container, for the manual's alias:
#   alias sto='docker run --rm -it -p 8545:8545 -u $(id -u):$(id -g) -v $(pwd):$(pwd) -w $(pwd) sto'
# Build: docker build -t sto .            (runs the same `npm ci` CI runs)
# Test:  docker build --target test -t sto-test .   (also runs `npm test`, as CI does)

FROM node:24-bookworm-slim AS build
# better-sqlite3 compiles its native module when no prebuilt binary can be fetched.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
ENV HARDHAT_DISABLE_TELEMETRY_PROMPT=true
WORKDIR /opt/sto
COPY package.json package-lock.json ./
COPY hardhat.config.ts tsconfig.json tsconfig.build.json drizzle.config.ts eslint.config.mjs vitest.config.mts ./
COPY bin ./bin
COPY contracts ./contracts
COPY drizzle ./drizzle
COPY src ./src
COPY test ./test
COPY docs ./docs
COPY example-distribution.csv example-ids.csv ./
# The same install-and-build step as CI (.ci/run): npm ci runs the "prepare" build.
RUN npm ci

FROM build AS test
RUN npm test

FROM build AS prune
RUN npm prune --omit=dev && rm -rf test

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HARDHAT_DISABLE_TELEMETRY_PROMPT=true \
    # sto node listens on all interfaces inside the container so -p 8545:8545 reaches it.
    STO_NODE_HOSTNAME=0.0.0.0
COPY --from=prune /opt/sto /opt/sto
RUN useradd --create-home --uid 10001 sto
USER sto
WORKDIR /work
EXPOSE 8545
ENTRYPOINT ["node", "/opt/sto/bin/sto"]
CMD ["--help"]
