"""Isolation rows: home (see __init__)."""

ROWS = {}
