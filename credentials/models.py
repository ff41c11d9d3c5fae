"""Credentials behind every listing: licenses, certifications, training records."""
