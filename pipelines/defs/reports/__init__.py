"""Dagster definitions of the reports subsystem."""
