"""The data-quality appendix in a reader's words: each QC action and reason of
``data_quality.csv`` (the clean stage's wording, which names config keys and formulas:
"score missing: fewer than min_items (2) answered", "reverse keyed: 8 - x") as a sentence
fragment a funder can read ("fewer than 2 of the scale's questions answered: no score").

Presentation only: the counts and their suppression are the appendix's; an action or reason
not listed here is shown as the clean stage wrote it, underscores as spaces.
"""

from __future__ import annotations

import re

__all__ = ["ACTION_WORDS", "ACTION_ORDER", "action_words", "reason_words"]

#: each QC action in words, in the order the appendix lists them per wave (what was read and
#: kept first, then what was removed, then what was changed in the answers kept)
ACTION_WORDS = {
    "rows_read": "Responses in the export",
    "rows_kept": "Responses kept",
    "participants": "People with a response",
    "rows_dropped": "Responses removed",
    "duplicates_resolved": "Duplicate responses resolved",
    "rows_kept_unmatched": "Responses kept without a match at entry",
    "rows_covariate_source": "Rows used only for background details",
    "scores_missing": "Scores not computed",
    "cells_set_missing": "Answers set to missing",
    "cells_recoded": "Values recoded",
    "cells_flagged": "Values flagged (kept)",
}
ACTION_ORDER = tuple(ACTION_WORDS)

#: (pattern of the clean stage's reason, the reason in words; ``{1}``... are the groups)
_REASONS: tuple[tuple[str, str], ...] = (
    (r"score missing: all items missing", "none of the scale's questions answered"),
    (r"score missing: fewer than min_items \((\d+)\) answered",
     "fewer than {1} of the scale's questions answered"),
    (r"out of range \[(\S+), (\S+)\]", "answer outside the possible {1} to {2}"),
    (r"label decoded via label map '.*'",
     "answer exported as words (such as 'Agree'), turned into its number"),
    (r"reverse keyed: (\S+) - x",
     "reverse-worded question, scored the other way round ({1} minus the answer)"),
    (r"id normalised \(case folded only\)",
     "participant id in other capital letters, matched"),
    (r"id normalised \(white space removed, case folded\)",
     "participant id with extra spaces or other capital letters, matched"),
    (r"user_missing: (.+)", "'{1}', a code the survey uses for a missing answer"),
    (r"duplicate id", "the same participant twice in one wave (one response kept)"),
    (r"missing id", "no participant id"),
    (r"id not seen at baseline \((\S+)\)", "participant not among those at entry ({1})"),
    (r"completion date missing", "no completion date"),
    (r"completed before baseline", "completed before the participant's entry survey"),
    (r"no answers", "no question answered"),
    (r"empty row \(every cell blank\)", "empty row"),
    (r"id does not match id_pattern '.*'", "participant id not in the study's id format"),
    (r"excluded by rule '(.*)'", "excluded by the study's rule {1}"),
    (r"group listing not answered \(nothing ticked\)", "list of groups left blank"),
    (r"not a number: rule not applied", "not a number, so the study's rule could not apply"),
    (r"date out of the supported range .*", "date outside the years a date can have"),
    (r"event not used \((.*)\)", "survey event not part of any wave ({1})"),
    (r"instance not used \((.*)\)", "repeated survey not used ({1})"),
    (r"\(no reason given\)", "no reason recorded"),
)
_COMPILED = tuple((re.compile(p + r"\Z"), w) for p, w in _REASONS)


def action_words(measure: str) -> str:
    """A QC action (``rows_dropped``) in words ("Responses removed")."""
    return ACTION_WORDS.get(measure, measure.replace("_", " ").capitalize())


def reason_words(reason: str) -> str:
    """A QC reason in words (module notes); unknown reasons as written, underscores as
    spaces; an empty reason stays empty."""
    text = str(reason).strip()
    for pattern, words in _COMPILED:
        m = pattern.match(text)
        if m:
            return words.format(None, *m.groups())
    return text.replace("_", " ")
