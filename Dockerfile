# The Airbyte source image: source-gong-flows speaks the Airbyte protocol (spec, check,
# discover, read) on stdout. Build and push it, then add it to Airbyte as a custom
# connector (see README, "Running as an Airbyte source"):
#   docker build -t <registry>/source-gong-flows:0.1.0 .
FROM python:3.11-slim

WORKDIR /airbyte/integration_code
COPY pyproject.toml README.md ./
COPY tap_gong_flows ./tap_gong_flows
RUN pip install --no-cache-dir '.[airbyte]'

ENV AIRBYTE_ENTRYPOINT="source-gong-flows"
ENTRYPOINT ["source-gong-flows"]

LABEL io.airbyte.name=tap-gong-flows/source-gong-flows
LABEL io.airbyte.version=0.1.0
