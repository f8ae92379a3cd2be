"""Dataset contracts (one module per domain). ``all_contracts()`` lists every registered dataset."""

from __future__ import annotations

from schemas.contract import CodeTable, Column, Contract

_REGISTRY: dict[str, Contract] = {}


def register(contract: Contract) -> Contract:
    """Register a contract under its name; a dataset joins the platform by being registered."""
    existing = _REGISTRY.get(contract.name)
    if existing is not None and existing != contract:
        raise ValueError(f"contract {contract.name!r} registered twice with different definitions")
    _REGISTRY[contract.name] = contract
    return contract


def _load_all() -> None:
    import importlib
    import pkgutil

    import schemas as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        if mod.name != "contract":
            importlib.import_module(f"schemas.{mod.name}")


def all_contracts() -> dict[str, Contract]:
    _load_all()
    return dict(sorted(_REGISTRY.items()))


def get(name: str) -> Contract:
    _load_all()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown dataset {name!r}; known: {', '.join(sorted(_REGISTRY))}") from None


__all__ = ["CodeTable", "Column", "Contract", "all_contracts", "get", "register"]
