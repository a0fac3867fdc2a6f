"""Write a :class:`pipeline.ingest.starter.Starter` as a commented YAML study config.

Every guess carries a ``# CHECK`` comment saying where it came from; every value only the
evaluator can give is ``TODO`` (or ``null`` for a text key), which the start-up check refuses by
key name until it is filled. The text is built line by line (PyYAML cannot write comments);
scalars go through ``yaml.safe_dump`` so that any column name is quoted correctly. The output
depends only on the files read: the same files give the same starter, byte for byte.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import yaml

from .starter import Starter

__all__ = ["render", "write_starter", "TODO"]

TODO = "TODO"
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _s(value: Any) -> str:
    """One YAML scalar or flow collection on one line."""
    if value == TODO:
        return TODO
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10_000)
    return text.removesuffix("\n").removesuffix("\n...").strip()


def _k(name: str) -> str:
    return name if _PLAIN_KEY.match(name) and name.lower() not in ("yes", "no", "on", "off",
                                                                   "true", "false", "null") \
        else _s(str(name))


def _c(text: str, width: int = 98) -> list[str]:
    """A comment, wrapped."""
    words, lines, line = text.split(), [], "#"
    for w in words:
        if len(line) + 1 + len(w) > width:
            lines.append(line)
            line = "#  "
        line += " " + w
    return lines + [line]


def _header(st: Starter, out: Path) -> list[str]:
    lines = [f"# Starter study configuration written by `socialcure init` for {out.name}",
             "# from these files:"]
    for p in st.files:
        lines.append(f"#   {p.path}  ({p.format}{', Qualtrics export' if p.qualtrics else ''}"
                     f", {len(p.frame)} data rows, {len(p.columns)} columns)")
    lines += _c(
        "Everything below is a GUESS made from column names, value labels and the codes seen. "
        "Before the first run: (1) replace every TODO (the run refuses to start until each is "
        "filled, naming its key); (2) check every line marked CHECK; (3) run "
        f"`snakemake -n --configfile {out}`: the start-up check lists every key still wrong. "
        "This file holds no participant data: only column names, codes, value labels, answer "
        "options and event names. Every key is explained in config/studies/demo.yaml.")
    return lines + [""]


#: output file names that say nothing about the study
GENERIC_STEMS = frozenset({"config", "study", "settings", "starter", "my_config", "configfile"})


def _study(st: Starter, out: Path) -> list[str]:
    # a generic file name ("config.yaml", found on a real probe: "Programme Config") names
    # nothing: the folder it is written to usually names the study
    stem = out.stem if out.stem.lower() not in GENERIC_STEMS else out.resolve().parent.name
    sid = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("_") or "my_study"
    if sid.lower() in GENERIC_STEMS:
        sid = "my_study"
    id_line = (_c(f"CHECK: {st.id_note}") + [f"id_column: {_s(st.id_column)}"]
               if st.id_column else _c(f"TODO: {st.id_note}") + ["id_column: null  # TODO"])
    return [
        "study:",
        f"  id: {_s(sid)}  # short id used in output file names",
        f"  title: {_s(sid.replace('_', ' ').capitalize())}  # CHECK: the programme's name",
        "",
        "seed: 1  # every random draw derives from this number: keep it fixed",
        "",
        "pseudonymisation:",
        "  salt_env: SOCIALCURE_SALT  # the salt is read from this environment variable if set",
        "  salt: null  # TODO: a long random text kept out of version control (or set the "
        "variable)",
        "",
        *id_line,
        "",
    ]


def _waves(st: Starter) -> list[str]:
    lines = ["# Waves in time order (T0 = entry). CHECK the order and the months since entry.",
             "waves:"]
    for w in st.waves:
        lines.append(f"  - id: {w['id']}")
        lines.append(f"    label: {_s('Wave ' + w['id'])}  # CHECK: a name for this wave")
        lines.append(f"    file: {_s(w['file'])}")
        if w["months"] is None:
            lines.append(f"    months: {TODO}  # TODO: months since entry at this wave")
        else:
            lines.append(f"    months: {w['months']}  # CHECK: the first wave is entry (0)")
        if "event" in w:
            lines.append(f"    event: {_s(w['event'])}  # CHECK: REDCap event of this wave; "
                         "delete waves that are not survey waves")
        if "sheet" in w:
            lines.append(f"    sheet: {_s(w['sheet'])}  # CHECK: the sheet with the responses")
        if "date_column" in w:
            lines.append(f"    date_column: {_s(w['date_column'])}  # CHECK: guessed completion"
                         " date")
        else:
            lines.append("    # date_column: no completion-date column recognised; name it here")
    return lines + [""]


def _label_maps(st: Starter) -> list[str]:
    if not st.label_maps:
        return []
    lines = ["# Text answers -> numeric codes (matching ignores case and surrounding space).",
             "label_maps:"]
    for name, labels in st.label_maps.items():
        lines.append(f"  {_k(name)}:  # " + {
            "set": "CHECK: a known answer set; codes in its usual order",
            "labels": "CHECK: the file's value labels (codes as stored)",
            "todo": "TODO: give each answer its code (null = no answer)"}[
                st.label_map_known[name]])
        for label, code in labels.items():
            shown = TODO if code is None else (int(code) if float(code).is_integer() else code)
            lines.append(f"    {_s(label)}: {_s(shown)}")
    return lines + [""]


def _scales(st: Starter) -> list[str]:
    if not st.scales:
        return ["# TODO: no item groups recognised. Add each scale: its items, range and score.",
                "scales: {}", ""]
    lines = ["# Scales guessed from columns sharing a prefix (gm1, gm2, ... -> gm).",
             "# CHECK each: the items, the full response range of the instrument (not only the",
             "# codes seen), reverse-keyed items, and mean or sum scoring.", "scales:"]
    for g in st.scales:
        lines.append(f"  {g.key}:")
        if g.question:
            lines += ["    " + x for x in _c(f"first item: {g.question[:160]}")]
        lines.append(f"    label: {_s(g.key)}  # CHECK: the scale's name")
        lines.append(f"    items: {_s(g.items)}")
        if g.absent_from:
            lines += ["    " + x for x in _c(
                f"CHECK: not every item is in {', '.join(g.absent_from)}: a renamed item needs "
                "that wave's column_map {raw_name: item}")]
        if g.range is None:
            lines.append(f"    range: [TODO, TODO]  # TODO: lowest and highest code ({g.source})")
        else:
            lines.append(f"    range: {_s([_num(g.range[0]), _num(g.range[1])])}  # CHECK: from "
                         f"{g.source}")
        if g.reverse:
            lines.append(f"    reverse: {_s(g.reverse)}  # CHECK: named ...r; empty if the "
                         "export already reversed them")
        else:
            lines.append("    reverse: []  # CHECK: list reverse-keyed items")
        if g.label_map:
            lines.append(f"    label_map: {_k(g.label_map)}")
        if g.missing_codes:
            lines.append(f"    missing_codes: {_s([_num(c) for c in g.missing_codes])}  # CHECK:"
                         " codes read as 'no answer'")
        need = max(1, math.ceil(len(g.items) / 2))
        lines.append(f"    min_items: {need}  # CHECK: answered items needed for a score")
        lines.append("    score: mean  # CHECK: mean or sum, as the instrument's manual says")
    return lines + [""]


def _num(v: float) -> int | float:
    return int(v) if float(v).is_integer() else float(v)


def _covariates(st: Starter) -> list[str]:
    if not st.covariates:
        return ["# covariates: none recognised (age, gender); add them as in "
                "config/studies/demo.yaml", ""]
    lines = ["# Covariates read from the first wave.", "covariates:"]
    for key, c in st.covariates.items():
        lines.append(f"  {key}:")
        lines.append(f"    column: {_s(c['column'])}  # CHECK: guessed from the name")
        lines.append(f"    type: {c['type']}")
        if "event" in c:
            lines.append(f"    event: {_s(c['event'])}  # CHECK: the only event holding it")
        if c.get("first_nonempty"):
            lines.append("    first_nonempty: true  # CHECK: only some events hold it: the first "
                         "non-empty value is taken")
        if c["type"] == "numeric":
            lines.append(f"    range: {_s(c['range'])}  # CHECK: the valid range (outside: "
                         "set missing)")
        elif c.get("levels"):
            lines.append(f"    levels: {_s(c['levels'])}  # CHECK: from the answers or value "
                         "labels")
        else:
            lines.append(f"    levels: {TODO}  # TODO: the valid levels, e.g. [Woman, Man]; a "
                         "level_map turns codes into them")
    return lines + [""]


def _footer(st: Starter) -> list[str]:
    notes = list(st.checks)
    if st.skipped:
        notes += [f"not made a scale: {s}" for s in st.skipped]
    if st.unused:
        shown = st.unused[:40]
        notes.append("other columns, not used (a single-item measure such as a 0-100 rating "
                     "becomes a one-item scale; a covariate goes under covariates): "
                     + ", ".join(shown) + (f" and {len(st.unused) - 40} more"
                                           if len(st.unused) > 40 else ""))
    if st.personal:
        notes.append("columns that look personal (never read unless configured): "
                     + ", ".join(st.personal))
    lines = ["# Cleaning, disclosure and the analyses use their defaults; copy a section from",
             "# config/studies/demo.yaml to change one (e.g. mediation chains, cross-lagged "
             "models).",
             "# The primary outcome (the change the report leads with, and its tipping point) is",
             "# not guessed; name it, e.g.:"]
    scale = st.scales[0].key if st.scales else "<scale>"
    wave = st.waves[1]["id"] if len(st.waves) > 1 else "<follow-up wave>"
    lines.append(f"# missing_data: {{sensitivity: {{outcome: {scale}, wave: {wave}}}}}")
    if notes:
        lines += ["#", "# What init noticed:"]
        for n in notes:
            lines += _c(f"- {n}")
    return lines


def render(st: Starter, out: str | Path) -> str:
    """The starter config as commented YAML text."""
    out = Path(out)
    parts = [_header(st, out), _study(st, out), _waves(st), _label_maps(st), _scales(st),
             _covariates(st), _footer(st)]
    return "\n".join(line.rstrip() for part in parts for line in part) + "\n"


def write_starter(paths: list[str], out: str | Path, *, force: bool = False) -> str:
    """Read ``paths``, write the starter config to ``out`` and return a one-line summary.

    Refuses (ConfigError) to overwrite an existing file unless ``force``.
    """
    from pipeline.errors import ConfigError

    from .starter import guess_starter

    out = Path(out)
    if out.exists() and not force:
        raise ConfigError(f"{out} already exists: choose another --out, or add --force to "
                          "overwrite it.")
    text = render(guess_starter(paths), out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    todo = sum(1 for line in text.splitlines() if "TODO" in line and not line.startswith("#"))
    check = text.count("CHECK")
    return (f"wrote {out}: {todo} TODO value(s) to fill and {check} guess(es) marked CHECK. "
            f"Then: snakemake -n --configfile {out}")
