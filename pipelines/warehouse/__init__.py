"""The warehouse around dbt: its files, the publish step, read-only queries, the plausibility checks
(Great Expectations), and what the dbt project says of its marts (catalog)."""
