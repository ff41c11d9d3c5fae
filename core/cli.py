"""Helpers for the management commands' arguments."""

import argparse
import datetime


def iso_date(text: str) -> datetime.date:
    """An argparse type: a YYYY-MM-DD date, or a usage error naming the value."""
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got '{text}'") from None
