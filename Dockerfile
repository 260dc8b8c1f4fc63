# source-bigcommerce: the connector image Airbyte runs (spec, check, discover, read).
# Airbyte's convention for Python connectors built from a Dockerfile: code in
# /airbyte/integration_code, main.py as the entrypoint, and the two io.airbyte labels.
# For a reproducible release build, pin the base image by digest (python:3.11-slim@sha256:...).
# BASE_IMAGE stays python:3.11-slim; CI builds on a local stand-in of it when no registry can be
# reached (.ci/image-base: Debian bookworm's Python 3.11).
ARG BASE_IMAGE=python:3.11-slim
# hadolint ignore=DL3006
FROM ${BASE_IMAGE}

WORKDIR /airbyte/integration_code

# Only what `pip install .` needs (setup.py reads the version from metadata.yaml); tests, the local
# store and the benchmark stay out of the image.
COPY setup.py metadata.yaml constraints.txt main.py ./
COPY source_bigcommerce ./source_bigcommerce

# A venv of its own (on either base), first on PATH: `python` is the connector's interpreter. Every
# dependency resolves to the version pinned in constraints.txt (the same pins `make test` uses).
# The version label must name the version installed: the build stops if CONNECTOR_VERSION is not
# metadata.yaml's dockerImageTag (`--build-arg CONNECTOR_VERSION=...`, as the docs' build command gives).
ARG CONNECTOR_VERSION
ENV PATH=/opt/connector/bin:$PATH
RUN python3 -m venv /opt/connector \
    && pip install --no-cache-dir --disable-pip-version-check -c constraints.txt . \
    && installed="$(python -c 'import source_bigcommerce; print(source_bigcommerce.__version__)')" \
    && if [ "$installed" != "$CONNECTOR_VERSION" ]; then \
         echo "build with --build-arg CONNECTOR_VERSION=$installed (metadata.yaml's dockerImageTag)" >&2; exit 1; fi \
    && useradd --create-home --uid 1000 airbyte

# Run as an unprivileged user, as Airbyte's own connector images do since platform 0.64. Numeric, so
# Kubernetes' runAsNonRoot can verify it without reading the image's /etc/passwd.
USER 1000:1000

ENV AIRBYTE_ENTRYPOINT="python /airbyte/integration_code/main.py"
ENTRYPOINT ["python", "/airbyte/integration_code/main.py"]

LABEL io.airbyte.name=ghcr.io/source-bigcommerce/source-bigcommerce
LABEL io.airbyte.version=${CONNECTOR_VERSION}
