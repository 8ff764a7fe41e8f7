"""Reading a submitted file as a stream of raw batches: format, encoding, delimiter and header row
are detected, never asked for. Cells stay as sent (trimmed text) so that every message can quote
them; typing happens in pipelines.intake.checking.conversion.

A batch is a polars frame: `row` (the spreadsheet row number: the header is row 1 when it is the
first record, blank records are skipped but keep their numbers, a quoted value spanning lines is
one record) and `c0`, `c1`... the file's columns by position, as text, "" when empty. Batches are
bounded in rows, so a file of any size is read in bounded memory.

CSV files are read by a multi-threaded reader (polars for UTF-8, Arrow for Windows-1252 and Latin-1)
while every record fits the header; from the first record wider than the header (or a byte that
contradicts the encoding guessed from the head) Python's csv module takes over, numbering records
the same way and keeping the cells right of the header. XLSX sheets are streamed by openpyxl.

Modules: opening (open_submission), source (Source), detection, header_row, headers, errors, cells,
batching; the readers polars_csv, arrow_csv, python_csv, csv_reading (which reads when), xlsx.
"""
