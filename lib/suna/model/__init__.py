"""What an area is and what its tables hold: areas and districts, the canonical tables' schemas,
financial years, how a figure is written, the resident population's groups.

Imports only ``suna.core``.
"""
