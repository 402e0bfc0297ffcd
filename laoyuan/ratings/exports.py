"""Ratings and subsidies as Excel (openpyxl's write-only workbook): scores and money as exact
two-place numbers (``core.excel.decimal_cell``), so an office can sum and check the columns."""

from collections.abc import Iterable

from django.utils.translation import gettext as _
from openpyxl import Workbook

from laoyuan.core.excel import decimal_cell
from laoyuan.orgs.exports import _save, sheet_title
from laoyuan.ratings.models import Evaluation, SubsidyRun

TWO = "#,##0.00"


def subsidy_run_xlsx(run: SubsidyRun) -> bytes:
    """One run's lines: compound, month of 36, floor area, stars, rate, amount, paid to, state;
    a total row last."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(
        sheet_title(_("Subsidies %(month)s") % {"month": f"{run.period:%Y-%m}"})
    )
    sheet.append(
        [
            _("Compound code"),
            _("Compound"),
            _("Month of 36"),
            _("Floor area (m²)"),
            _("Stars"),
            _("Yuan per m²"),
            _("Amount (yuan)"),
            _("Paid to"),
            _("State"),
        ]
    )
    lines = run.subsidies.select_related("compound", "payee__company", "payee__compound").order_by(
        "compound__name", "id"
    )
    for line in lines:
        payee = line.payee.company.name if line.payee.company else line.payee.name
        sheet.append(
            [
                line.compound.code,
                line.compound.name,
                line.month,
                decimal_cell(sheet, line.area_m2, TWO),
                line.stars,
                decimal_cell(sheet, line.rate, TWO),
                decimal_cell(sheet, line.amount, TWO),
                payee,
                line.get_state_display(),
            ]
        )
    sheet.append([_("Total"), None, None, None, None, None, decimal_cell(sheet, run.amount, TWO)])
    return _save(workbook)


def scores_xlsx(evaluations: Iterable[Evaluation]) -> bytes:
    """Ratings with their scores by section (one column per section code), total, veto, stars."""
    rows = list(evaluations)
    codes: list[str] = []
    for evaluation in rows:
        for score in evaluation.section_scores.all():
            if score.section.code not in codes:
                codes.append(score.section.code)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title(_("Star ratings")))
    sheet.append(
        [
            _("Compound code"),
            _("Compound"),
            _("Street"),
            _("Year"),
            _("State"),
            *codes,
            _("Total"),
            _("Vetoed"),
            _("Stars"),
        ]
    )
    for evaluation in rows:
        by_code = {score.section.code: score.score for score in evaluation.section_scores.all()}
        sheet.append(
            [
                evaluation.compound.code,
                evaluation.compound.name,
                evaluation.compound.street.name,
                evaluation.period,
                evaluation.get_state_display(),
                *[decimal_cell(sheet, by_code.get(code), TWO) for code in codes],
                decimal_cell(sheet, evaluation.total_score, TWO),
                _("yes") if evaluation.vetoed else _("no"),
                evaluation.stars,
            ]
        )
    return _save(workbook)
