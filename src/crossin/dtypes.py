"""The dtype names of training (TrainConfig.model_dtype) and evaluation (EvalConfig.dtype, serve --dtype).

A leaf module: one table, so both mean the same weights, and the configs can offer the names as choices without
importing the model loader. Values are torch's names.
"""

DTYPES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}
