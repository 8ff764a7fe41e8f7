"""Dagster definitions of the e-mail notices."""
