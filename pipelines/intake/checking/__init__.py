"""Checking a file against its contract: typed columns, every rule batch by batch, duplicate keys
across batches, checks against earlier submissions."""
