"""Forms of the agreements app."""
