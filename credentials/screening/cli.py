"""What the import commands share: a progress line on stderr and the report's summary."""

from __future__ import annotations

import sys

from tqdm import tqdm

from .imports import ImportReport


def progress_bar(desc: str, *, stream=None, disable: bool) -> tqdm:
    """Rows read and rows a second, on stderr (the total is not known before the end)."""
    return tqdm(desc=desc, unit=" rows", unit_scale=True, file=stream or sys.stderr, disable=disable, mininterval=0.5)


def report_lines(report: ImportReport, *, deleted: bool = False) -> list[str]:
    lines = [
        f"Read {report.read} rows from {len(report.files)} file(s): {report.created} created, "
        f"{report.updated} updated, {report.unchanged} unchanged"
        + (f", {report.deleted} deleted (no longer listed)" if deleted else "")
        + f", {report.rejected} rejected."
    ]
    if report.rejections:
        shown = len(report.rejections)
        lines.append(f"Rejected rows ({'the first ' + str(shown) if shown < report.rejected else 'all'}):")
        lines.extend(f"  {rejected}" for rejected in report.rejections)
    return lines
