"""Historical import: cases from a CSV or XLSX file, read through a mapping file, at their times.

`mapping` reads and checks the mapping file, `sources` streams the rows of a file, `rows`
turns one row into a case's values or a reason to refuse it, `importer` saves the cases in
batches, and `cli` is `huiyin import`.
"""
