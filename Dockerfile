# Genre Lab, self-hosted: a hosted-mode server for a group. See docs/DEPLOY.md.
#   docker build -t genrelab .
#   docker run -d --name genrelab -p 8501:8501 --env-file genrelab.env \
#     -v genrelab-data:/data -v genrelab-models:/models genrelab
FROM python:3.11-slim

# libsndfile: audio decoding (soundfile); libgomp1: OpenMP for torch and scikit-learn.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libsndfile1 libgomp1 \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY requirements.txt .
# The PyTorch CPU index supplies torch's CPU build (2.13.0+cpu) instead of the CUDA one.
RUN pip install --extra-index-url https://download.pytorch.org/whl/cpu -r requirements.txt
COPY . .

RUN useradd --create-home --uid 1000 genrelab \
    && mkdir -p /data /models \
    && chown genrelab:genrelab /data /models
USER genrelab

# Hosted mode; datasets and runs live in the two volumes. Secrets (GENRELAB_PASSWORD_HASH...)
# come from the environment at `docker run`, never from the image.
ENV GENRELAB_HOSTED=1 \
    GENRELAB_DATA_DIR=/data \
    GENRELAB_MODELS_DIR=/models \
    STREAMLIT_SERVER_MAX_UPLOAD_SIZE=200
VOLUME ["/data", "/models"]
EXPOSE 8501

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"]

# The front (core/front.py) listens on 8501 and starts Streamlit behind it on 127.0.0.1:8502:
# nothing reaches Streamlit before the password is given (GENRELAB_PASSWORD_HASH is required).
CMD ["python", "-m", "core", "front", "--app"]
