# One image for every component of the project: proxy-server, proxy-agent, user-server and the
# `ocm` commands. There is no ENTRYPOINT: the container's args name the program, so a Deployment
# says   args: ["proxy-server", "--proxy-strategies=destHost", ...]
# and `docker run IMAGE ocm hub --help` works the same way. See docs/images.md.
FROM python:3.11-slim

# Bytecode is compiled at build time; the root filesystem can then be read-only at run time.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The project keeps its source layout under /app and is installed in place (editable), because
# some programs read data next to the code: `ocm hub` creates missing OCM CRDs from
# charts/ocm-hub/crds. Only the packages and those CRDs are copied (.dockerignore keeps the rest
# out of the build context).
WORKDIR /app
COPY pyproject.toml README.md ./
COPY protos ./protos
COPY proxy_server ./proxy_server
COPY proxy_agent ./proxy_agent
COPY ocm_core ./ocm_core
COPY charts/ocm-hub/crds ./charts/ocm-hub/crds
COPY charts/cluster-proxy/crds ./charts/cluster-proxy/crds
RUN python -m pip install --editable . && python -m compileall -q /app

# The same unprivileged uid the charts set in securityContext (distroless "nonroot").
USER 65532:65532
WORKDIR /tmp
CMD ["ocm", "--help"]
