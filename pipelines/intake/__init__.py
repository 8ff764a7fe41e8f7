"""One submitted file, from its bytes to its receipt: `reading` (what the file is and its rows),
`checking` (every rule of the contract), `storing` (archive, ledger, lake, pseudonyms), `receipts`;
`submission.submit` is the one path every caller takes (CLI, portal, inbox)."""
