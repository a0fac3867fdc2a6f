"""The attrition wing: who stayed, who left, and what that may do to the estimates.

Files (one step each; ``stage.py`` wires them to the files of ``rules/attrition.smk``):

* ``settings.py`` (+ ``settings.schema.yaml``): the only reader of the ``attrition:`` section.
* ``flow.py``: STROBE participant flow and response patterns.
* ``missingness.py``: missing values per measure and wave.
* ``retention.py``: retained vs lost at baseline, the retention model and the IPW weights from
  that same fitted model (``pipeline.stats``: contingency, logistic, ipw); for later waves,
  sequential (monotone-dropout) weights from a chain of models, each step fitted among the
  previous wave's responders with their answers (``attrition.ipw.sequential``).
* ``public.py``: funder-facing copies with small counts suppressed (``pipeline.disclosure``).
* ``sentences.py``: status messages and the plain-language summary.
* ``figures.py``: the flow diagram and the response-pattern chart (from plain tables).
* ``stage.py``: read the clean data, run the above plus Little's MCAR test
  (``pipeline.stats.mcar``), write the declared outputs.
"""
