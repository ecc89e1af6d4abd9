# Airflow with mltrail and the OpenLineage provider, for docker-compose.yml.
FROM apache/airflow:3.1.3-python3.11

COPY --chown=airflow:root pyproject.toml README.md LICENSE /opt/mltrail/
COPY --chown=airflow:root src /opt/mltrail/src
RUN pip install --no-cache-dir '/opt/mltrail[airflow]' apache-airflow-providers-openlineage
