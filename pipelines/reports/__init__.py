"""The regional summaries: data from the published marts, words and numbers per language, charts,
HTML and PDF."""
