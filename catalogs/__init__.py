"""Shipped catalog data: accelerators.yaml, models.yaml and apis.yaml (see docs/catalogs.md)."""
