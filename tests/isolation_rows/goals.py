"""Isolation rows: goals (see __init__)."""

ROWS = {}
