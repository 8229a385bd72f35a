"""Throughput of `crossin data translate --engine openai`: samples/s at concurrency 1 (the baseline, measured in the
same run) and at concurrency 8, each run into a fresh folder (empty cache) on the same samples.

Against a server you run (vLLM, a hosted API):
    python bench/translate_speed.py --base-url http://127.0.0.1:8000/v1 --model Qwen/Qwen2.5-7B-Instruct --n 64
Without --base-url it starts `crossin serve` on the embedded model (a base model: prompted 'English: ...\\nSpanish:'
and stopped at the newline; on CPU keep --n and --max-tokens small).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = Path(os.environ.get("CROSSIN_DATA_DIR") or REPO.parent / "shared" / "data")
CORPUS = DATA_DIR / "parallel_instructions_en_zh_partial" / "en.jsonl"
BASE_MODEL_PROMPT = "{source}: {text}\n{target}:"


def start_server() -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-m", "crossin", "serve", "--model", "gemma-3-270m", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/v1"
    for _ in range(600):
        try:
            urllib.request.urlopen(url + "/models", timeout=5).read()
            return proc, url
        except OSError:
            if proc.poll() is not None:
                sys.exit("crossin serve did not start")
            time.sleep(0.5)
    proc.kill()
    sys.exit("crossin serve did not answer in 300 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", default="", help="OpenAI-compatible server (default: start crossin serve)")
    parser.add_argument("--model", default="gemma-3-270m")
    parser.add_argument("--input", default=str(CORPUS), help="English JSON/JSONL samples (default: the shared corpus)")
    parser.add_argument("--n", type=int, default=8, help="samples translated per run")
    parser.add_argument("--to", default="es")
    parser.add_argument("--max-tokens", type=int, default=16)
    parser.add_argument("--prompt", default=None, help="default: the recorded prompt; the embedded base model gets "
                                                       "'{source}: {text}\\n{target}:'")
    parser.add_argument("--concurrency", default="1,8", help="comma-separated; the first is the baseline")
    args = parser.parse_args()

    sys.path.insert(0, str(REPO / "src"))
    from crossin.data.corpus import read_samples
    from crossin.data.translate import DEFAULT_PROMPT, TranslateConfig, translate_corpus

    server, url = (None, args.base_url) if args.base_url else start_server()
    embedded = server is not None
    prompt = args.prompt or (BASE_MODEL_PROMPT if embedded else DEFAULT_PROMPT)
    source = read_samples(args.input, "en")
    # One request first, so neither measured run pays for the server's first-call warm-up.
    warm = {"model": args.model, "messages": [{"role": "user", "content": "Hello"}], "max_tokens": 2}
    urllib.request.urlopen(urllib.request.Request(url + "/chat/completions", data=json.dumps(warm).encode(),
                                                  headers={"Content-Type": "application/json"}), timeout=600).read()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            sample_file = Path(tmp) / "en.jsonl"
            sample_file.write_text("".join(
                json.dumps({"id": i, "instruction": a, "input": b, "output": c}, ensure_ascii=False) + "\n"
                for i, (a, b, c) in zip(source.ids[: args.n], source.texts[: args.n])), encoding="utf-8")
            rates = {}
            for c in [int(x) for x in args.concurrency.split(",")]:
                cfg = TranslateConfig(input=str(sample_file), target_langs=[args.to], out=f"{tmp}/c{c}",
                                      engine="openai", base_url=url, model=args.model, prompt=prompt,
                                      stop=["\n"] if embedded else [], max_tokens=args.max_tokens, concurrency=c)
                start = time.perf_counter()
                manifest = json.loads((translate_corpus(cfg, progress=False) / "manifest.json").read_text())
                elapsed = time.perf_counter() - start
                rates[c] = args.n / elapsed
                counts = manifest["counts"][args.to]
                print(f"concurrency {c:3d}: {rates[c]:7.3f} samples/s  {manifest['requests']['sent'] / elapsed:7.3f} "
                      f"requests/s  ({counts['written']} written, {counts['failed']} failed, {elapsed:.1f} s)",
                      flush=True)
            base = next(iter(rates))
            for c, rate in rates.items():
                if c != base:
                    print(f"speed-up at concurrency {c} over {base}: {rate / rates[base]:.2f}x")
    finally:
        if server is not None:
            server.kill()
            server.wait()


if __name__ == "__main__":
    main()
