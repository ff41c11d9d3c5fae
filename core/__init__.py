"""Shared API plumbing: the error shape, strict filtersets, paging, permissions, the clock, health."""
