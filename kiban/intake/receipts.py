"""Receipts (受付票): one JSON file per submission under ``KIBAN_HOME/intake/receipts/``.

A receipt is written when the bytes are archived (status ``received``) and rewritten when the batch commits
(``accepted`` / ``accepted_with_warnings`` / ``quarantined`` / ``duplicate``). The receipt id is derived from
the sha256, so the same content submitted twice maps to the same receipt (stored once; the second arrival is
listed under ``arrivals``). ``GET /v1/reports/{id}`` serves it to its submitter.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from kiban.config import Paths

FINAL = ("accepted", "accepted_with_warnings", "quarantined", "duplicate")


def submission_id(sha256: str) -> str:
    return f"sub_{sha256[:32]}"


@dataclass
class Receipt:
    submission_id: str
    sha256: str
    source_file: str
    channel: str
    received_at: str
    submitted_by: str | None = None
    status: str = "received"
    report_ids: list[str] = field(default_factory=list)
    lg_codes: list[str] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    arrivals: list[dict] = field(default_factory=list)
    raw_path: str = ""
    quarantine_report: str | None = None
    duplicate_of: str | None = None
    batch_id: str | None = None
    processed_at: str | None = None

    @property
    def accepted(self) -> bool:
        return self.status in ("accepted", "accepted_with_warnings", "received")

    def public(self) -> dict:
        """What the submitter sees (no server paths)."""
        d = asdict(self)
        d.pop("raw_path")
        d["quarantine_report"] = bool(self.quarantine_report)
        return d


class ReceiptStore:
    def __init__(self, paths: Paths) -> None:
        self.root = paths.home / "intake" / "receipts"
        self.root.mkdir(parents=True, exist_ok=True)
        self.pending_root = paths.home / "intake" / "pending"
        self.pending_root.mkdir(parents=True, exist_ok=True)

    def path(self, sid: str) -> Path:
        return self.root / f"{sid}.json"

    def get(self, sid: str) -> Receipt | None:
        if not sid.startswith("sub_") or not sid[4:].isalnum():
            return None
        p = self.path(sid)
        if not p.exists():
            return None
        return Receipt(**json.loads(p.read_text(encoding="utf-8")))

    def put(self, receipt: Receipt) -> None:
        target = self.path(receipt.submission_id)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.{id(receipt)}.tmp")
        tmp.write_text(json.dumps(asdict(receipt), ensure_ascii=False, indent=1, default=str), encoding="utf-8")
        os.replace(tmp, target)
        marker = self.pending_root / receipt.submission_id
        if receipt.status == "received":
            marker.touch()
        else:
            marker.unlink(missing_ok=True)

    def pending(self, channel: str | None = None) -> list[Receipt]:
        """Receipts archived but not processed yet (e.g. after a crash); ``intake/pending/`` lists them."""
        out = []
        for marker in sorted(self.pending_root.iterdir()):
            r = self.get(marker.name)
            if r is not None and r.status == "received" and (channel is None or r.channel == channel):
                out.append(r)
        return out
