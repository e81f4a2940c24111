"""SUNA: Substance Use Needs Assessment for English local authorities.

Nothing heavy happens at import: every notebook run and app kernel pays for it.
"""

__version__ = "0.1.0"
