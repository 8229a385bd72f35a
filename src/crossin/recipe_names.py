"""The names of the training-data recipes, declared once: what `crossin data build` builds (`DATA_RECIPES`),
what an arm of `crossin experiment` trains on (`ARM_RECIPES`), and the order the report shows them in
(`FORMULATIONS`). What each recipe does is `crossin.data.recipes`. Names only: importing this costs nothing.
"""

from __future__ import annotations

EN2X = "en2x"  # English instruction, output in another language
X2EN = "x2en"  # instruction in another language, English output
X2X = "x2x"  # instruction and output in two different languages of all
MONOLINGUAL = "monolingual"  # instruction and output in one language
TRANSLATION = "translation"  # translation samples ('Translate the following sentence into ...')
NONE = "none"  # no recipe samples: the English base set (and translation samples) only
BASE = "base"  # the `recipe` of a mix's rows from the English base set

# The cross-lingual directions, as `data build`'s translation_directions name them (x2en first: the paper's).
TRANSLATION_DIRECTIONS: tuple[str, ...] = (X2EN, EN2X, X2X)
DATA_RECIPES: tuple[str, ...] = (EN2X, X2EN, X2X, TRANSLATION, MONOLINGUAL, NONE)

EN_ONLY = "en-only"  # the arm trained on the English base set alone
ZERO_SHOT = "zero-shot"  # the base model untuned: evaluated, never trained
ARM_RECIPES: tuple[str, ...] = (EN_ONLY, MONOLINGUAL, EN2X, X2EN, X2X)
# The paper's data formulations in the order of Figure 3, zero-shot first as the reference.
FORMULATIONS: tuple[str, ...] = (ZERO_SHOT, *ARM_RECIPES)

# The arm recipes whose data recipe has another name; every other arm recipe is a data recipe as it is.
ARM_TO_DATA = {EN_ONLY: NONE}


def data_recipe(arm_recipe: str) -> str:
    """The `data build` recipe of an experiment arm's recipe."""
    return ARM_TO_DATA.get(arm_recipe, arm_recipe)
