"""CIESS capacity-building warehouse: intake, contracts, warehouse and reports."""
