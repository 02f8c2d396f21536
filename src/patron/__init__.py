"""Patron: customer retention and loyalty."""

__version__ = "0.1.0"
