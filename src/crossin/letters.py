"""Option letters: the labels of a multiple-choice question's options, (A) to (J) (at most 10 options).

A leaf module: the data model (benchmarks), the prompts and the answer readers all label options with these, and
none of them should import another only for this string.
"""

LETTERS = "ABCDEFGHIJ"
