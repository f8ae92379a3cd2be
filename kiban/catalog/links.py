"""How catalog documents name things: URLs of release files and dataset pages, stable resource ids."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

_NS = uuid.UUID("6f1d3c8e-3b0e-4c55-9d7e-6b6962616e00")  # fixed namespace: ids stay stable across releases


def stable_id(*parts: str) -> str:
    return str(uuid.uuid5(_NS, "/".join(parts)))


@dataclass(frozen=True)
class Links:
    """``base`` is the server root (``http://host:port``), or empty for documents inside a release folder,
    where every link is relative to the release root."""

    base: str = ""
    version: str = ""

    @property
    def embedded(self) -> bool:
        return not self.base

    def file(self, path: str, version: str | None = None) -> str:
        if self.embedded:
            return path
        return f"{self.base}/releases/{version or self.version}/{path}"

    def page(self, dataset: str) -> str:
        return f"dictionary/{dataset}.html" if self.embedded else f"{self.base}/datasets/{dataset}"

    def catalog(self) -> str:
        return "catalog.jsonld" if self.embedded else f"{self.base}/catalog.jsonld"

    def dataset_id(self, dataset: str) -> str:
        return f"#{dataset}" if self.embedded else f"{self.base}/datasets/{dataset}#dataset"
