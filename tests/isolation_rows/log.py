"""Isolation rows: log (see __init__)."""

ROWS = {}
