"""`crossin serve`: an OpenAI-compatible server over a local HF model, with vLLM's /tokenize and LoRA adapters served
as extra model names (`--lora-modules`). FastAPI + uvicorn; one engine thread owns the model (engine.py), scoring
shares each prompt prefix's KV cache and echo log-probabilities (scoring.py), requests are checked strictly
(protocol.py). For throughput on big models use vLLM."""
