"""Files other tools read: a model card for adapter folders (the Hub), a run's results as the Hub's evaluation
results (model-index, `.eval_results/`) and as Every Eval Ever records."""
