# The notebook as one server process. Settings come from the environment at `docker run`
# (see README "Deploying for a course"); no secret is baked into the image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=5006 \
    NUM_PROCS=1

WORKDIR /app

# Exact pins first, so the dependency layer is cached across code changes.
COPY requirements.txt ./
RUN python -m pip install --no-cache-dir -r requirements.txt

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin notebook
COPY --chown=notebook:notebook serve.sh pyproject.toml ./
COPY --chown=notebook:notebook pages ./pages
COPY --chown=notebook:notebook ot_engine ./ot_engine
COPY --chown=notebook:notebook assets ./assets

USER notebook
EXPOSE 5006

# ALLOWED_ORIGINS (the public host), BOKEH_SECRET_KEY, ADDRESS, PREFIX, USE_XHEADERS:
# set them with `docker run -e ...`; without ALLOWED_ORIGINS only localhost can connect.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import os, urllib.request; p = os.environ.get('PREFIX', '').strip('/'); urllib.request.urlopen('http://127.0.0.1:%s/%sliveness' % (os.environ.get('PORT', '5006'), p + '/' if p else ''), timeout=4)"

CMD ["bash", "serve.sh"]
