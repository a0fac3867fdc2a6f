"""The words ``socialcure init`` recognises (:mod:`pipeline.ingest.starter`): known Likert
answer sets in code order, gender answers, and the name patterns of ids, dates, items and
personal columns. Matching ignores case and surrounding space.
"""

from __future__ import annotations

import re

# Known answer sets, in code order (1 = first). Matching ignores case and surrounding space.
LIKERT_SETS: dict[str, list[str]] = {
    "agree5": ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree",
               "Strongly agree"],
    "agree5_neutral": ["Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"],
    "agree7": ["Strongly disagree", "Disagree", "Somewhat disagree", "Neither agree nor disagree",
               "Somewhat agree", "Agree", "Strongly agree"],
    "ucla3": ["Hardly ever", "Some of the time", "Often"],
    "frequency5": ["Never", "Rarely", "Sometimes", "Often", "Always"],
    "wemwbs5": ["None of the time", "Rarely", "Some of the time", "Often", "All of the time"],
    "amount5": ["Not at all", "A little bit", "Somewhat", "Quite a bit", "Very much"],
    "extent5": ["Not at all", "A little", "Moderately", "Quite a bit", "Extremely"],
    "quality5": ["Poor", "Fair", "Good", "Very good", "Excellent"],
    "satisfied5": ["Very dissatisfied", "Dissatisfied", "Neither satisfied nor dissatisfied",
                   "Satisfied", "Very satisfied"],
    "likely5": ["Very unlikely", "Unlikely", "Neither likely nor unlikely", "Likely",
                "Very likely"],
    "true4": ["Definitely false", "Mostly false", "Mostly true", "Definitely true"],
}
GENDER_WORDS = {"woman": "Woman", "female": "Woman", "man": "Man", "male": "Man",
                "non-binary": "Non-binary / other", "nonbinary": "Non-binary / other",
                "non-binary / other": "Non-binary / other", "other": "Non-binary / other",
                "non-binary/other": "Non-binary / other"}
AGE_NAMES = {"age", "age_years", "age_at_entry", "age_baseline", "alter", "edad"}
GENDER_NAMES = {"gender", "sex", "gender_identity", "geschlecht"}
MISSING_LABEL = re.compile(r"refus|don.?t know|not applicable|n/?a$|missing|no answer|"
                           r"prefer not|skipp", re.I)
ID_EXACT = {"participant_id", "participantid", "participant", "record_id", "recordid", "id",
            "pid", "study_id", "subject_id", "subjectid", "subject", "respondent_id",
            "case_id", "caseid", "client_id", "clientid", "user_id", "userid", "workerid",
            "worker_id", "externalreference", "externaldatareference", "responseid",
            "response_id"}
ID_PATTERN = re.compile(r"(^|_)(id|pid|uid|code)$|participant|record_?id|respondent|subject|"
                        r"client", re.I)
RESPONSE_IDS = {"responseid", "response_id"}
DATE_NAME = re.compile(r"date|time|complet|submit|_at$|datum|when", re.I)
DATE_PREFER = re.compile(r"complet|submit|recorded|end|finish", re.I)
DATE_AVOID = re.compile(r"start|enrol|withdraw|discharge", re.I)  # last resort only
DATE_NEVER = re.compile(r"birth|dob|death", re.I)
DATE_TEXT = re.compile(r"^\s*(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.]\d{1,2}[/.]\d{2,4})([ T].*)?$")
ITEM = re.compile(r"^(?P<prefix>.*?[A-Za-z][A-Za-z0-9]*?)[_.]?(?P<num>\d+)(?P<rev>_?(r|rev))?$",
                  re.I)
NOT_ITEM = re.compile(r"___|_complete$|^redcap_|^(attn|attention|check)", re.I)
PERSONAL = re.compile(r"name|e-?mail|phone|address|postcode|zip|ip_?address|dob|birth|"
                      r"latitude|longitude|nhs|ssn|kin", re.I)
