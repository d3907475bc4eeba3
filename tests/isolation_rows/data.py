"""Isolation rows: data (see __init__)."""

ROWS = {}
