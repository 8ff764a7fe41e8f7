"""`ciess tables` and `ciess describe MART`: the data dictionary where analysts work, from the same
source as dbt's docs (the descriptions, grain and units written in the dbt project's yml, read from
its manifest by `pipelines.warehouse.catalog`)."""

from __future__ import annotations

import click

from pipelines.cli.output import FORMAT_OPTION, render
from pipelines.intake.submission import UsageError
from pipelines.warehouse import catalog


@click.command("tables")
@FORMAT_OPTION
def tables_command(output_format: str) -> None:
    """List the published marts: what one row is (grain) and what each answers.

    \b
    Then: ciess describe capacity_by_subregion
    """
    try:
        rows = [(name, catalog.grain(name), catalog.mart(name).summary) for name in catalog.published_marts()]
    except catalog.CatalogError as error:  # no manifest: the message says what to run
        raise UsageError(str(error)) from error
    click.echo(render(["mart", "grain", "meaning"], rows, output_format), nl=output_format != "csv")


@click.command("describe")
@click.argument("mart")
@FORMAT_OPTION
def describe_command(mart: str, output_format: str) -> None:
    """The columns of one mart: type, unit (count, ratio, hours...) and description.

    \b
    Example:
      ciess describe capacity_by_subregion --format csv
    """
    try:
        found = catalog.mart(mart)
    except catalog.CatalogError as error:
        raise UsageError(
            f"{error} (`ciess tables` lists them)" if "no published mart" in str(error) else str(error)
        ) from error
    rows = [(c.name, c.data_type, c.unit or "", c.description) for c in found.described_columns]
    if output_format == "table":
        keys = ", ".join(found.key_columns)
        click.echo(f"{found.name}: {' '.join(found.description.split())}\nOne row per {found.grain} (key: {keys}).\n")
    click.echo(render(["column", "type", "unit", "description"], rows, output_format), nl=output_format != "csv")
