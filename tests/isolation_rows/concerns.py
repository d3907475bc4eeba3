"""Isolation rows: concerns (see __init__)."""

ROWS = {}
