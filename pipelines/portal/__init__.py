"""The upload portal for institutions (FastAPI): pages and a JSON API over the same intake."""
