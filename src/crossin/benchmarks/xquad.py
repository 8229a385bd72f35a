"""Cross-XQuAD: built from XQuAD (see the Cross-XQuAD issue). Registered here so `--bench cross-xquad` resolves."""
