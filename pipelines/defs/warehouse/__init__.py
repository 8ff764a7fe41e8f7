"""Dagster definitions of the warehouse subsystem."""
