# Base image for mltrail's KFP components: `docker build -f deploy/kfp-component.Dockerfile -t reg/mltrail-kfp .`
# Use it as the components' base_image (mltrail.kfp.component(..., base_image="reg/mltrail-kfp:<tag>"))
# with install_kfp_package=False (the default of mltrail.kfp.component): the pod then installs nothing.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    MLTRAIL_SPOOL_DIR=/mltrail/spool

WORKDIR /opt/mltrail
COPY pyproject.toml README.md LICENSE ./
COPY src ./src
# scikit-learn for the example pipeline; drop `examples` for your own components.
RUN pip install '.[kfp,postgres,examples]' \
    && mkdir -p /mltrail/spool && chmod 0777 /mltrail/spool
