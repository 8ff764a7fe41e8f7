"""Dagster definitions of the intake subsystem."""
