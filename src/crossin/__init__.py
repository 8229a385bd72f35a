"""crossin: cross-lingual knowledge alignment (CrossIn, Lin et al. 2024)."""

__version__ = "0.1.0"
