"""Isolation rows: endings (see __init__)."""

ROWS = {}
