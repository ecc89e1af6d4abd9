# mltrail server image: `docker build -t mltrail .`
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /opt/mltrail
COPY pyproject.toml README.md LICENSE ./
COPY src ./src
RUN pip install '.[server,postgres]' \
    && useradd --create-home --uid 1000 mltrail

USER mltrail
WORKDIR /home/mltrail
EXPOSE 5000
CMD ["mltrail", "server", "--host", "0.0.0.0", "--port", "5000"]
