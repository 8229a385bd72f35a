"""lm-evaluation-harness interop: our benchmarks as lm-eval tasks (`export`), crossin's metrics for lm-eval's
logged samples (`samples`), and results.json's block in lm-eval's layout (`results`)."""
