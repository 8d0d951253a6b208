"""The headcounts as files: CSV for any spreadsheet (semicolons and a byte-order mark, as
French Excel expects) and XLSX through openpyxl (dates and numbers typed, header kept in
view)."""

from __future__ import annotations

import csv
import datetime
import io

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .headcounts import Headcount, table

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def filename(headcount: Headcount, extension: str) -> str:
    if headcount.first == headcount.last:
        return f"effectifs-{headcount.first:%Y-%m-%d}.{extension}"
    return (
        f"effectifs-{headcount.first:%Y-%m-%d}-au-{headcount.last:%Y-%m-%d}.{extension}"
    )


def _attachment(response: HttpResponse, name: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def csv_response(headcount: Headcount) -> HttpResponse:
    header, rows = table(headcount)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(
            [
                value.strftime("%d/%m/%Y")
                if isinstance(value, datetime.date)
                else value
                for value in row
            ]
        )
    response = HttpResponse(
        "\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8"
    )
    return _attachment(response, filename(headcount, "csv"))


def xlsx_bytes(headcount: Headcount) -> bytes:
    header, rows = table(headcount)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Effectifs"
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    for cell in sheet["A"][1:]:
        cell.number_format = "DD/MM/YYYY"
    widths = [12, 40, 28, 34, 10, 18, 10, 30]
    for index, width in enumerate(widths[: len(header)], start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def xlsx_response(headcount: Headcount) -> HttpResponse:
    response = HttpResponse(xlsx_bytes(headcount), content_type=XLSX_TYPE)
    return _attachment(response, filename(headcount, "xlsx"))
