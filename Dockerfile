# syntax=docker/dockerfile:1.7
#
# One image with every examfn function: `examfn run <function>` picks one
# (exam-gen, take-exam, score-calc, email, cdc-relay). The Knative Services
# pass the arguments ["run", "<function>"].
#
#   docker build -t ghcr.io/examfn/examfn:0.1.0 .
#
# Base images are pinned by tag and digest. The digests below are the ones
# public builds resolved for these tags; refresh them together with the tag,
# e.g. `crane digest rust:1.95-bookworm`, and review the change like code.
ARG BUILDER_IMAGE=docker.io/library/rust:1.95-bookworm@sha256:6258907abe69656e41cd992e0b705cdcfabcbbe3db374f92ed2d47121282d4a1
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot@sha256:9dac0a79194e45a7da0158a9c6da57b217585af0786db3845d1f0ec1a0dd182f

# ---------------------------------------------------------------------------
FROM ${BUILDER_IMAGE} AS builder
WORKDIR /src
# A smaller binary than the workspace's release profile (which favours build
# time): one codegen unit and thin LTO, symbols stripped. librdkafka is built
# from source by rdkafka's bundled build (gcc, make and perl are in this image)
# and linked statically, so the binary needs only libc and libgcc at runtime.
ENV CARGO_TERM_COLOR=never \
    CARGO_NET_RETRY=5 \
    CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 \
    CARGO_PROFILE_RELEASE_LTO=thin \
    CARGO_PROFILE_RELEASE_STRIP=symbols
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release --locked -p examfn \
 && install -D -m 0755 target/release/examfn /out/examfn

# ---------------------------------------------------------------------------
# distroless cc: glibc, libgcc, CA certificates, no shell, user 65532.
FROM ${RUNTIME_IMAGE} AS runtime
LABEL org.opencontainers.image.title="examfn" \
      org.opencontainers.image.description="examfn functions: examfn run <exam-gen|take-exam|score-calc|email|cdc-relay>" \
      org.opencontainers.image.source="https://github.com/examfn/examfn" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=builder --chown=0:0 /out/examfn /usr/local/bin/examfn
# Nothing is written outside /tmp (an emptyDir in the cluster), so the root
# filesystem can be mounted read-only.
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/examfn"]

# ---------------------------------------------------------------------------
# One target per function for `func deploy --build=false --image ...`, which
# cannot pass arguments: the same layers, with the function as default CMD.
#   docker build --target exam-gen -t ghcr.io/examfn/exam-gen:0.1.0 .
FROM runtime AS exam-gen
CMD ["run", "exam-gen"]

FROM runtime AS take-exam
CMD ["run", "take-exam"]

FROM runtime AS score-calc
CMD ["run", "score-calc"]

FROM runtime AS email
CMD ["run", "email"]

FROM runtime AS cdc-relay
CMD ["run", "cdc-relay"]

# ---------------------------------------------------------------------------
# The default target: the all-in-one image the Helm charts deploy; each
# Knative Service passes args ["run", "<function>"].
FROM runtime AS examfn
