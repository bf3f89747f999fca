"""Field forms: an XLSForm of a layer, and the submissions made with one, staged for review.

The form is made from the layer registry (:mod:`mineaction.io.forms`); its submissions, as
ODK Central or KoboToolbox export them, go through the checks of an import into the staging
area (:func:`mineaction.services.review.submit`), never straight into the store.
"""

from __future__ import annotations

from mineaction.domain.review import Submission, SubmissionOrigin
from mineaction.io import forms as _forms
from mineaction.io.forms import Form, FormInfo
from mineaction.services import review
from mineaction.services.context import Context
from mineaction.services.imports import importable

__all__ = ["Form", "FormInfo", "form_info", "import_submissions", "xlsform"]


def xlsform(name: str, kind: str | None = None) -> tuple[Form, bytes]:
    """The XLSForm of layer ``name`` (activities: of one ``kind``), and its XLSX bytes."""
    lyr = importable(name)
    form = _forms.build(lyr, kind)
    return form, _forms.to_xlsx(form)


def form_info(data: bytes, name: str = "form") -> FormInfo:
    """What the form file (an XLSForm made by :func:`xlsform`, read as bytes) is for."""
    return _forms.read_form(data, name)


def import_submissions(ctx: Context, form: FormInfo, data: bytes, name: str) -> Submission:
    """Stage the submissions of an ODK Central or KoboToolbox export (CSV or JSON ``data``,
    named ``name``) made with ``form``: every row is checked as by an import, and any problem
    stages nothing. Returns the pending submission."""
    src = _forms.read_submissions(data, name, form)
    return review.submit(ctx, form.layer, src, origin=SubmissionOrigin.FORM,
                         checksum=review.checksum(data), form_id=form.form_id)
