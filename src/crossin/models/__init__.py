"""Model backends: Hugging Face transformers (local folder, Hub id, embedded default) and OpenAI-compatible servers."""
