# The vidgen studio on an NVIDIA GPU.
#   docker build -t vidgen .
#   docker run --gpus all -p 7860:7860 -v vidgen-data:/data -v hf-cache:/cache/huggingface vidgen
# or `docker compose up` (docker-compose.yml: the studio and an Ollama server beside it).
# Without a GPU (no --gpus) the same image runs on the CPU.
#
# The base only brings the NVIDIA container runtime's libraries: the CUDA libraries torch uses come
# as wheels with PyPI's torch 2.13.0 (its CUDA 13.0 build; see requirements-gpu.txt). The host needs
# an NVIDIA driver >= 580 and the NVIDIA Container Toolkit.
ARG CUDA_IMAGE=nvidia/cuda:13.0.0-runtime-ubuntu24.04
FROM ${CUDA_IMAGE}

# hadolint ignore=DL3008
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
    && rm -rf /var/lib/apt/lists/*
# (Ubuntu's own apt versions: the base tag fixes the release, and the archive keeps one version of each.)

# A user of its own (uid 10001: Ubuntu images already have uid 1000, "ubuntu"), owning the two volumes.
ARG UID=10001
RUN useradd --uid "${UID}" --create-home --shell /usr/sbin/nologin vidgen \
    && mkdir -p /data /cache/huggingface \
    && chown vidgen:vidgen /data /cache/huggingface

WORKDIR /app
# The install first (its layer is kept while only the code changes): the same script CI runs.
COPY requirements.txt requirements-gpu.txt requirements-xtts.txt requirements-ray.txt requirements-nodeps.txt ./
COPY scripts/install.sh scripts/install.sh
ARG TORCH_INDEX=
RUN PIP_NO_CACHE_DIR=1 VENV=/opt/vidgen GPU=1 TORCH_INDEX="${TORCH_INDEX}" bash scripts/install.sh
COPY app.py pyproject.toml ./
COPY vidgen vidgen
COPY examples examples

ENV PATH=/opt/vidgen/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    VIDGEN_DATA=/data \
    HF_HOME=/cache/huggingface \
    VIDGEN_HOST=0.0.0.0 \
    VIDGEN_PORT=7860 \
    GRADIO_ANALYTICS_ENABLED=False
USER ${UID}
VOLUME ["/data", "/cache/huggingface"]
EXPOSE 7860
# /health answers 200 once the process serves (the studio's readiness, store/ffmpeg/queue, is /ready).
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:7860/health', timeout=4)"]
CMD ["python", "app.py", "--host", "0.0.0.0"]
