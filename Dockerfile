# One image holds every service; the container's command chooses which one runs
# (`python -m apim_gateway`, `python -m apim_publisher`, `python -m apim_publisher migrate`, ...).
# One image keeps the six services on the exact same lock file and halves the build and scan work;
# see docs/decisions/0005-one-image.md.

# The portals' browser assets (htmx, the API reference renderer, uPlot), from the committed npm lock file.
FROM node:20-slim AS assets
WORKDIR /frontend
COPY services/portals/frontend/package.json services/portals/frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts --loglevel=error \
 && mkdir -p /vendor/scalar /vendor/uplot \
 && cp node_modules/htmx.org/dist/htmx.min.js /vendor/ \
 && cp node_modules/@scalar/api-reference/dist/browser/standalone.js /vendor/scalar/ \
 && cp node_modules/uplot/dist/uPlot.iife.min.js node_modules/uplot/dist/uPlot.min.css node_modules/uplot/LICENSE /vendor/uplot/

# The official AsyncAPI JSON schemas the publisher validates definitions against.
FROM node:20-slim AS asyncapi
WORKDIR /specs
COPY services/publisher-api/asyncapi-schemas/package.json services/publisher-api/asyncapi-schemas/package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts --loglevel=error \
 && mkdir -p /schemas \
 && for v in 2.0.0 2.1.0 2.2.0 2.3.0 2.4.0 2.5.0 2.6.0 3.0.0; do \
      cp "node_modules/@asyncapi/specs/schemas/$v-without-\$id.json" "/schemas/$v.json"; done \
 && cp node_modules/@asyncapi/specs/LICENSE /schemas/

FROM python:3.11-slim AS build
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never PIP_DISABLE_PIP_VERSION_CHECK=1
RUN pip install --no-cache-dir uv
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
COPY libs libs
COPY services services
COPY cli cli
COPY --from=assets /vendor services/portals/apim_portals/static/vendor
COPY --from=asyncapi /schemas services/publisher-api/apim_publisher/asyncapi/schemas
RUN uv sync --frozen --no-dev --no-editable

FROM python:3.11-slim
RUN groupadd --gid 10001 apim && useradd --uid 10001 --gid apim --no-create-home --shell /usr/sbin/nologin apim
COPY --from=build /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH PYTHONUNBUFFERED=1 APIM_HOST=0.0.0.0
USER 10001
EXPOSE 9443 8280
CMD ["python", "-m", "apim_gateway"]
