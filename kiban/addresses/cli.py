"""``kiban addresses``: match addresses from files or stdin; refresh the linked datasets."""

from __future__ import annotations

import sys

import click

from kiban.addresses.formats import FORMATS, render


@click.group()
def addresses() -> None:
    """Addresses matched to the ABR (町字ID, 住居表示, 地番, position), as abr-geocoder reports them."""


def _lines(targets: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for t in targets:
        if t == "-":
            text = sys.stdin.read()
        else:
            try:
                with open(t, encoding="utf-8-sig") as f:
                    text = f.read()
            except FileNotFoundError as e:
                raise click.ClickException(f"{t}: no such file") from e
            except UnicodeDecodeError as e:
                raise click.ClickException(f"{t}: not UTF-8 ({e})") from e
        lines = text.splitlines()
        out.extend(lines)
    return out


@addresses.command("match")
@click.argument("files", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="jsonl", show_default=True)
@click.pass_obj
def match_command(paths, files: tuple[str, ...], fmt: str) -> None:
    """Match one address per line of FILE(s) (``-`` = stdin); one record per input line, in input order.

    Uses the ABR loaded with ``kiban ingest abr`` and the municipality master (``kiban ingest municipalities``).
    """
    from kiban.addresses.service import AddressService

    lines = _lines(files)
    rows = AddressService(paths).match(lines) if lines else []
    out = render(rows, fmt)
    click.echo(out, nl=False)


@addresses.command("refresh")
@click.option("--full", is_flag=True, help="Match every corporation again (otherwise only what changed).")
@click.pass_obj
def refresh_command(paths, full: bool) -> None:
    """Bring corporation_addresses (+ match rate, review list) and shelter_addresses up to date."""
    from kiban.addresses import linked

    click.echo("corporation_addresses: " + linked.summary(linked.refresh_corporations(paths, full=full)))
    click.echo("shelter_addresses: " + linked.summary(linked.refresh_shelters(paths)))
