"""The report wing: the funder report (PDF/UA-1 via Typst, and semantic HTML) built from the
findings table and the declared outputs of the other rules."""
