"""Where a submission is kept: the archive (bytes as sent), the ledger (every submission's record),
the lake (accepted rows as Parquet), and the pseudonyms that replace staff identifiers."""
