"""Excel writer (T1 wave file): one sheet, date cells, byte-reproducible.

openpyxl stamps the document's ``modified`` time with the current time on save and the zip
entries with the local time; both are rewritten so that the bytes depend on the data only.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import pandas as pd

from pipeline.demo.layout import XLSX_SHEET

__all__ = ["xlsx_bytes"]

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
#: document creator written into docProps/core.xml. It is part of the file's bytes: keep it
#: "pipeline.demo" (the committed data/raw/demo_T1_4months.xlsx holds this value).
XLSX_CREATOR = "pipeline.demo"


def _fixed_core_times(data: bytes, iso: str) -> bytes:
    """docProps/core.xml with the created/modified times replaced by ``iso``."""
    text = data.decode("utf-8")
    text = re.sub(
        r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)",
        lambda m: m.group(1) + iso + m.group(3),
        text,
    )
    return text.encode("utf-8")


def _rezip(raw: bytes, iso: str) -> bytes:
    """Re-pack the workbook zip with fixed entry times/permissions and fixed document times."""
    src = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _fixed_core_times(data, iso)
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, data)
    return out.getvalue()


def xlsx_bytes(frame: pd.DataFrame, stamp: dt.datetime) -> bytes:
    """Excel workbook (sheet XLSX_SHEET) with fixed document timestamps and zip entry times."""
    buf = io.BytesIO()
    with pd.ExcelWriter(
        buf, engine="openpyxl", date_format="YYYY-MM-DD", datetime_format="YYYY-MM-DD"
    ) as xw:
        xw.book.properties.created = stamp
        xw.book.properties.creator = XLSX_CREATOR
        frame.to_excel(xw, sheet_name=XLSX_SHEET, index=False)
    return _rezip(buf.getvalue(), stamp.strftime("%Y-%m-%dT%H:%M:%SZ"))
