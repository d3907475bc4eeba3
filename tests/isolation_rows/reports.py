"""Isolation rows: reports (see __init__)."""

ROWS = {}
