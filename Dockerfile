# syntax=docker/dockerfile:1
# The `rakuten` binary in a small runtime image: one image for every role, chosen by the command
# (`serve`, the default; `worker`; `db migrate`; `schedules apply`; `data import` ...).
#
#   docker build -t rakuten-mlops:latest --build-arg RAKUTEN_GIT_SHA="$(git rev-parse --short=12 HEAD)" .
#
# Linted by `.ci/check-deploy` (hadolint). See deploy/README.md for Compose and Kubernetes.

# --- build --------------------------------------------------------------------------------------------------------
# gcc (for onig, mimalloc and the bundled SQLite) comes with the image; protoc is vendored by the build.
FROM rust:1.95-bookworm AS builder
WORKDIR /src
COPY . .
# The commit the binary records as its code version (training runs store it). .git is not in the build context,
# so pass it here; without it the binary records none.
ARG RAKUTEN_GIT_SHA
# The registry and target caches are BuildKit cache mounts: a rebuild after a code change recompiles the
# workspace, not the dependencies. The binary is copied out of the cached target folder in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    if [ -z "${RAKUTEN_GIT_SHA:-}" ]; then unset RAKUTEN_GIT_SHA; fi \
    && cargo build --release -p rakuten --locked \
    && install -D -m 0755 target/release/rakuten /out/rakuten

# --- runtime ------------------------------------------------------------------------------------------------------
FROM debian:bookworm-slim
# ca-certificates only (TLS to S3, PostgreSQL or an OTLP collector). No curl: the health check below uses bash.
# DL3008 (pin apt versions) is off for this step on purpose: Debian's security archive drops superseded versions,
# so a pinned version breaks rebuilds; the base image tag is what pins the release.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 rakuten \
    && useradd --system --uid 10001 --gid rakuten --home-dir /var/lib/rakuten --shell /usr/sbin/nologin rakuten \
    && mkdir -p /var/lib/rakuten/work /var/lib/rakuten/journal \
    && chown -R rakuten:rakuten /var/lib/rakuten
COPY --from=builder /out/rakuten /usr/local/bin/rakuten

# Containers listen on every interface (the binary's defaults are 127.0.0.1); logs are JSON lines on stderr.
# The work dir (worker checkpoints) and the inference-log journal are under /var/lib/rakuten: mount volumes there.
ENV RAKUTEN_SERVE_HOST=0.0.0.0 \
    RAKUTEN_WORKER_METRICS_HOST=0.0.0.0 \
    RAKUTEN_LOG_FORMAT=json \
    RAKUTEN_WORK_DIR=/var/lib/rakuten/work \
    RAKUTEN_LOG_JOURNAL_DIR=/var/lib/rakuten/journal
WORKDIR /var/lib/rakuten
USER 10001:10001

# REST (serve), gRPC (serve), Prometheus metrics and liveness (worker).
EXPOSE 8000 50051 9464 8080

# Ready = a model is loaded and the process is not draining (`serve`, on RAKUTEN_HTTP_PORT, default 8000). Other roles override or disable it
# (Compose does; Kubernetes uses its own probes).
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${RAKUTEN_HTTP_PORT:-8000} && printf 'GET /readyz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && read -r _ code _ <&3 && [ \"$code\" = 200 ]"]

ENTRYPOINT ["rakuten"]
CMD ["serve"]
