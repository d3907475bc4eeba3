"""Isolation rows: schedule (see __init__)."""

ROWS = {}
