# One image for every component of the project: proxy-server, proxy-agent and the `ocm` commands.
# There is no ENTRYPOINT: the container's args name the program, so a Deployment says
#   args: ["proxy-server", "--proxy-strategies=destHost", ...]
# and `docker run IMAGE ocm hub --help` works the same way. See docs/images.md.

# Build stage: turn the source tree into a wheel, so no source or build cache reaches the image.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY protos ./protos
COPY proxy_server ./proxy_server
COPY proxy_agent ./proxy_agent
COPY ocm_core ./ocm_core
RUN python -m pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
# Bytecode is compiled at install time; the root filesystem can then be read-only at run time.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --from=build /wheels /wheels
RUN python -m pip install --compile /wheels/*.whl && rm -rf /wheels
# The same unprivileged uid the charts set in securityContext (distroless "nonroot").
USER 65532:65532
WORKDIR /tmp
CMD ["ocm", "--help"]
