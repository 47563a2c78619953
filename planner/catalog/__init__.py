"""Catalogs of accelerators, models and API offerings: schemas and loading."""
