"""Field forms: ``mineaction forms xlsform`` and ``mineaction import-submissions``."""

from __future__ import annotations

from pathlib import Path

import typer

from mineaction.cli.app import app, checked_output, context, say
from mineaction.services import forms

forms_app = typer.Typer(no_args_is_help=True, help="Field forms (XLSForm, ODK, KoboToolbox).")
app.add_typer(forms_app, name="forms")


@forms_app.command()
def xlsform(
    layer: str = typer.Argument(..., help="hazards, activities, finds, accidents, ..."),
    output: Path = typer.Option(..., "-o", "--output", help="The XLSForm to write (.xlsx)"),
    kind: str = typer.Option(None, "--kind",
                             help="activities: the kind the form is for (nts, ts, clearance, "
                                  "bac, eod)"),
) -> None:
    """Write an XLSForm for LAYER, for ODK Collect or KoboToolbox: choices from the
    vocabularies, the geometry as geopoint, geotrace or geoshape, required fields and
    constraints, labels in English with columns for az, hy, ka and ru."""
    form, data = forms.xlsform(layer, kind)
    path = checked_output(output)
    path.write_bytes(data)
    say("cli.form_written", form=form.form_id, count=len(form.survey) - 1,
        path=path)


@app.command("import-submissions")
def import_submissions(
    form: Path = typer.Argument(..., help="The XLSForm the submissions were made with"),
    file: Path = typer.Argument(..., help="Export of ODK Central or KoboToolbox (CSV or JSON)"),
) -> None:
    """Stage the submissions in FILE, made with FORM, for review: every row is checked as by
    an import; any bad row and nothing is staged."""
    info = forms.form_info(form.read_bytes(), form.name)
    data = file.read_bytes()
    with context() as ctx:
        sub = forms.import_submissions(ctx, info, data, file.name)
    say("cli.submitted", count=sub.record_count, layer=sub.target_layer,
        file=file, id=sub.id)
