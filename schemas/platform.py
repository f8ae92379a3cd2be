"""Platform datasets: the load log that makes ingestion idempotent and auditable."""

from __future__ import annotations

from schemas.contract import CodeTable, Column, Contract

LOAD_STATUS = CodeTable(
    name="load_status", ja="取込結果", en="load status",
    codes={"loaded": "取込済", "duplicate": "重複（取込済の同一ファイル）", "quarantined": "隔離"},
)

LOADS = Contract(
    name="loads",
    version="1.0.0",
    title_ja="取込履歴",
    title_en="Load log",
    description="The load log, Kiban's one ledger: one row per input processed (files, landed and submitted "
                "reports alike): which content (by sha256), who sent it, what happened, how many rows, and why it "
                "was quarantined. Content loaded before is recorded as a duplicate and not loaded again.",
    columns=(
        Column("load_id", "string", "取込ID", "Load identifier", nullable=False),
        Column("source", "string", "ソース", "Source family (corporate, municipalities, abr, moj_map, reports)",
               nullable=False),
        Column("source_file", "string", "ファイル名", "Original file name as received", nullable=False),
        Column("source_url", "string", "取得元", "URL or path the file came from"),
        Column("sha256", "string", "SHA-256", "Content hash of the raw file", nullable=False,
               pattern=r"[0-9a-f]{64}"),
        Column("bytes", "int64", "バイト数", "Size of the raw file"),
        Column("status", "string", "取込結果", "loaded, duplicate or quarantined", nullable=False,
               codes=LOAD_STATUS),
        Column("rows", "int64", "行数", "Rows stored (all datasets of the load)"),
        Column("detail", "json", "詳細", "Stage info, per-dataset row counts, the quarantine reasons and warnings"),
        Column("channel", "string", "受付経路", "How the input arrived: file, landing, api, fetch"),
        Column("submitted_by", "json", "提出者",
               "Authenticated identity that submitted the input (kind, lg_code, subject); NULL for operator loads"),
        Column("received_at", "timestamp", "受信日時", "When the input was received (pipeline clock)"),
        Column("batch_id", "string", "バッチID", "The batch the input was processed in"),
        Column("duplicate_of", "string", "重複元取込ID", "load_id of the load that loaded the same content first"),
        Column("content_key", "string", "内容キー",
               "Identity of the content where it differs from the file's sha256 (e.g. the CSV inside a zip)"),
        Column("started_at", "timestamp", "開始日時", "When processing started", nullable=False),
        Column("finished_at", "timestamp", "終了日時", "When processing finished", nullable=False),
    ),
    primary_key=("load_id",),
    group="platform", cadence="continuous", temporal="started_at",
)
