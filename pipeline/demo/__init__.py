"""Seeded generator of the synthetic demo study shipped in ``data/raw/``.

The demo mimics a social prescribing pathway evaluation (Wakefield et al. 2022, "Social
Prescribing as 'Social Cure'", J Health Psychol 27(2):386-396: pathway entry T0 N = 630, about
4 months T1 N = 178, 6-9 months T2 N = 63). It gives the pipeline something realistic to clean
and something *known* to recover. It is outside the analysis path: no module of the workflow
imports ``pipeline.demo``.

Usage::

    python -m pipeline.demo --out data/raw --seed 20220201
    python -m pipeline.demo --out /tmp/big --n 100000 --waves 5 --schemes 3   # scale studies

``--waves W`` continues the study past T2 (the same people; the latent process, dropout and
dates continuing; T3, T4, ... as CSV files); ``--schemes S`` writes S schemes, each with its own
seed and slightly different effects, to ``<out>/scheme_<k>/`` (:mod:`pipeline.demo.schemes`).
The defaults (3 waves, 1 scheme) write the committed files byte for byte.

One module per job, in the order the simulation runs:

==================  ==========================================================================
``layout``          questionnaire and files: waves, file names, columns, items, answer labels
``params``          the true parameters (:class:`DemoParams`, :data:`TRUE_PARAMS`)
``latent``          latent scores: RI-CLPM with the serial chain GM -> CB -> SS -> LON -> QOL
``items``           item answers (thresholded latent responses, EQ VAS), MCAR item missingness
``population``      covariates (age, gender), panel members and extras, ids, dates
``dropout``         response at T1/T2, MAR on observed answers, calibrated rejective sampling
``defects``         planted defects (duplicates, id formats, labels, ranges, -99, ...)
``frames``          row order, column types per file format, the defect manifest
``simulate``        :func:`simulate_demo` / :func:`simulate_study`: runs the steps above
``export_csv``      CSV writer; ``export_xlsx`` Excel writer; ``export_sav`` SPSS writer
``checks``          realised alpha and means (the pipeline's cleaner and alpha)
``readme``          data/raw/README.md
``write``           :func:`write_demo`: all files, byte-reproducible
``schemes``         :func:`write_schemes`: several schemes, own seeds and effects
``__main__``        the command line
==================  ==========================================================================

The controlled study ``demo_controlled`` (``python -m pipeline.demo --study controlled`` writes
``data/raw/demo_controlled/``; config ``config/studies/demo_controlled.yaml``): a
social-prescribing arm and a usual-care arm, not randomised, with identification,
compatibility, EXITS groups maintained / new groups and GP visits, reusing the demo's chain,
items, dropout, defects, frames and writers:

==========================  ==================================================================
``controlled_layout``       arms, files, columns, items, ranges, the defect plan
``controlled_params``       the true parameters (:class:`ControlledParams`)
``controlled_model``        arm means, moderators, moderation, EXITS, GP-visit counts
``controlled_population``   arm, covariates, ids, dates; response (MAR plus an arm term)
``controlled_simulate``     :func:`simulate_controlled`: frames plus ground truth
``controlled_write``        :func:`write_controlled` (CSV, Excel, SPSS with value labels)
``controlled_readme``       data/raw/demo_controlled/README.md
==========================  ==================================================================

``simulate_study(seed, n)`` is pure: it returns one raw DataFrame per wave (``{"T0": ..., "T1":
..., "T2": ...}``) exactly as it is written to the file, planted defects included.
``simulate_demo(seed, n)`` returns the same frames plus the ground truth (latent scores,
response indicators, the list of planted defects). ``write_demo(out_dir, seed)`` writes the files;
they are byte-identical for the same seed (and the same library versions). The true model is
stated in each step's module docstring and, with its numbers, in ``data/raw/README.md``.
"""

from __future__ import annotations

import os

# openpyxl serialises XML differently when lxml is installed (pikepdf brings it): write with
# its standard-library writer so the committed .xlsx files are reproduced byte for byte.
os.environ.setdefault("OPENPYXL_LXML", "False")

from pipeline.demo.defects import DEFECT_PLAN
from pipeline.demo.latent import contemporaneous_paths, lagged_paths, latent_moments
from pipeline.demo.layout import (
    AGREE7,
    DEFAULT_N,
    DEFAULT_SEED,
    FILES,
    GENDER_LEVELS,
    ITEM_COLUMNS,
    REVERSE_ITEMS,
    UCLA3,
    WAVES,
    XLSX_SHEET,
)
from pipeline.demo.params import TRUE_PARAMS, DemoParams
from pipeline.demo.schemes import write_schemes
from pipeline.demo.simulate import DemoStudy, simulate_demo, simulate_study
from pipeline.demo.write import write_demo

__all__ = [
    "AGREE7",
    "DEFAULT_N",
    "DEFAULT_SEED",
    "DEFECT_PLAN",
    "FILES",
    "GENDER_LEVELS",
    "ITEM_COLUMNS",
    "REVERSE_ITEMS",
    "TRUE_PARAMS",
    "UCLA3",
    "WAVES",
    "XLSX_SHEET",
    "DemoParams",
    "DemoStudy",
    "contemporaneous_paths",
    "lagged_paths",
    "latent_moments",
    "simulate_demo",
    "simulate_study",
    "write_demo",
    "write_schemes",
]
