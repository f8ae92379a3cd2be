"""Errors raised by source parsers: always name the file and the problem."""

from __future__ import annotations


class SourceError(Exception):
    """A whole input cannot be read as the format it claims to be (the input goes to quarantine).

    ``rule`` is a short machine-readable reason (``not_a_zip``, ``truncated_zip``, ``column_count``,
    ``encoding``, ``empty``, ``xml_illegal_character``, ...).
    """

    def __init__(
        self, file: str, message: str, *, rule: str, row: int | None = None, column: str | None = None,
        value: str | None = None,
    ) -> None:
        self.file = file
        self.message = message
        self.rule = rule
        self.row = row
        self.column = column
        self.value = value
        where = f" row {row}" if row is not None else ""
        where += f" column {column}" if column else ""
        super().__init__(f"{file}{where}: {message} [{rule}]")

    def to_dict(self) -> dict:
        return {
            "file": self.file, "row": self.row, "column": self.column, "rule": self.rule,
            "value": self.value, "message": self.message,
        }
