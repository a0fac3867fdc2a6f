"""Decide how to read a file: its configured format checked against what the file really is."""

from __future__ import annotations

from pathlib import Path

from pipeline.errors import ConfigError, InputFileError, closest_names, config_name

from .sniff import EXTENSION_KIND, describe, sniff_kind

FORMATS = ("auto", "csv", "xlsx", "sav", "dta", "qualtrics_csv", "qualtrics_xlsx", "redcap")
# Content kind each configured format needs.
FORMAT_KIND = {
    "csv": "text",
    "qualtrics_csv": "text",
    "redcap": "text",
    "xlsx": "xlsx",
    "qualtrics_xlsx": "xlsx",
    "sav": "sav",
    "dta": "dta",
}
READABLE = {"text", "xlsx", "sav", "zsav", "dta"}
ADVICE = {
    "xls": "open it in Excel and save it as .xlsx (Excel Workbook) or CSV UTF-8",
    "ods": "open it and save it as .xlsx or CSV UTF-8",
    "pdf": "a PDF report cannot be read: export the raw responses as CSV or .xlsx",
    "zip": "unzip it and point the config at the data file inside",
    "gzip": "decompress it and point the config at the data file inside",
    "parquet": "export the data as CSV or .xlsx",
    "binary": "check that the config points at the survey export (CSV, .xlsx, .sav or .dta)",
}


def check_exists(path: Path, *, wave_id: str) -> None:
    """Refuse a missing path, suggesting similar file names in the same folder."""
    if path.is_file():
        return
    if path.is_dir():
        raise InputFileError(
            f"{path}: wave {wave_id} file is a folder, not a file. Point waves[{wave_id}].file "
            f"in {config_name()} at the export inside it."
        )
    folder = path.parent
    others = sorted(p.name for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []
    close = closest_names(path.name, others)
    hint = (
        f" Files with similar names in {folder}: {', '.join(close)}."
        if close
        else (
            f" {folder} holds: {', '.join(others[:10])}."
            if others
            else f" {folder} is empty or missing."
        )
    )
    raise InputFileError(
        f"{path}: wave {wave_id} file not found.{hint} Put the export there or fix "
        f"waves[{wave_id}].file in {config_name()}."
    )


def resolve_format(path: Path, configured: str, *, wave_id: str) -> tuple[str, str]:
    """Return ``(reader, kind)``: reader is 'csv', 'xlsx', 'sav' or 'dta'.

    Refuses a file whose content is not a readable data file, whose content contradicts its
    extension (a renamed file), or whose content contradicts an explicitly configured format.
    """
    file = path.name
    if configured not in FORMATS:
        raise ConfigError(
            f"waves[{wave_id}].format: unknown format '{configured}'; use one of "
            f"{', '.join(FORMATS)}."
        )
    if path.stat().st_size == 0:
        raise InputFileError(
            f"{file}: wave {wave_id} file is empty (0 bytes). The export or copy failed: export "
            "the wave again and replace the file."
        )
    kind = sniff_kind(path)
    if kind not in READABLE:
        raise InputFileError(
            f"{file}: wave {wave_id} file is {describe(kind)}, not a survey export: "
            f"{ADVICE.get(kind, 'export the wave as CSV or .xlsx')}."
        )
    base_kind = "sav" if kind == "zsav" else kind
    if configured != "auto":
        need = FORMAT_KIND[configured]
        if need != base_kind:
            raise InputFileError(
                f"{file}: waves[{wave_id}].format is '{configured}' but the file is really "
                f"{describe(kind)}. Fix the format in {config_name()} or point at the right "
                "file."
            )
    else:
        ext_kind = EXTENSION_KIND.get(path.suffix.lower())
        ext_base = "sav" if ext_kind == "zsav" else ext_kind
        if ext_base is not None and ext_base != base_kind:
            raise InputFileError(
                f"{file}: the name says {describe(ext_kind)} but the file is really "
                f"{describe(kind)} (it was probably renamed). Give it the right extension and "
                f"update waves[{wave_id}].file in {config_name()}, or export it again in the "
                "intended format."
            )
    reader = {"text": "csv", "xlsx": "xlsx", "sav": "sav", "dta": "dta"}[base_kind]
    return reader, kind
