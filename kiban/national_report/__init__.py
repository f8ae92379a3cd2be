"""National reports (全国集計): ``kiban report national disaster|migration [--subject ID] --as-of T -o FILE``.

- ``disaster``: 第4号様式(その2) 被害状況即報 for one disaster (``--subject``, default the latest), aggregated per
  prefecture, with the form's header block (災害名, 報告番号, 報告日時 JST, 報告者, 判明時点) and the form's items in
  order with their units; a NULL (未確認) is never added as zero.
- ``migration``: 標準準拠システム移行状況 per prefecture (完了率 = (完了済み + 対象外) / 40).

Outputs by extension: ``.csv`` (UTF-8 BOM), ``.xlsx`` (A3 landscape, print titles, frozen header),
``.html`` (self-contained) and ``.pdf`` (headless Chromium). Modules: :mod:`.tables` (the figures, SQL),
:mod:`.report` (the document), :mod:`.writers` (the formats).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from kiban.config import Paths
from kiban.national_report.report import DEFAULT_REPORTER, KINDS, Report, build
from kiban.national_report.tables import DISASTER_ITEMS, UnknownSubject
from kiban.national_report.writers import FORMATS, RendererMissing, layout
from kiban.national_report.writers import write as write_report

__all__ = ["DEFAULT_REPORTER", "DISASTER_ITEMS", "FORMATS", "KINDS", "RendererMissing", "Report", "UnknownSubject",
           "build", "layout", "write"]


def write(paths: Paths, kind: str, as_of: datetime | str | None, out: Path, *, subject: str | None = None,
          number: int = 1, reporter: str = DEFAULT_REPORTER) -> Path:
    """Build the report as known at ``as_of`` and write it by the extension of ``out``."""
    if Path(out).suffix.lower() not in FORMATS:
        raise ValueError(f"output must end in one of {', '.join(FORMATS)}")
    return write_report(build(paths, kind, as_of, subject=subject, number=number, reporter=reporter), Path(out))
