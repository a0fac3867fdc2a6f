"""Every analysis by every method: the primary flag follows missing_data.primary, a SEM that
does not converge keeps the engine's status (no estimates), an analysis without a predictor has
no slopes or J-N rows, and the figures get the primary method's curve."""

from __future__ import annotations

from dataclasses import replace

from pipeline.moderation import model
from pipeline.moderation.analysis import JN_GRID, analyse
from pipeline.moderation.sentences import build_sentences
from pipeline.sem.result import SEMResult


def test_primary_flag_follows_the_settings(wide, settings):
    t = analyse(wide, replace(settings, primary="complete_case")).tables()
    for name in ("estimates", "simple_slopes", "jn", "status"):
        flagged = t[name].loc[t[name]["primary"], "method"]
        assert set(flagged) == {"complete_case"}, name


def test_a_sem_that_does_not_converge_keeps_its_status(wide, settings, monkeypatch):
    monkeypatch.setattr(model, "fit_sem", lambda *a, **k: SEMResult(
        name="m", status="not_converged", message="moderation[x]: did not converge"))
    res = analyse(wide, settings)
    t = res.tables()
    st = t["status"].set_index("method")
    assert st.loc["fiml", "status"] == "not_converged"
    assert "did not converge" in st.loc["fiml", "message"]
    assert st.loc["complete_case", "status"] == "ok"
    assert set(t["estimates"]["method"]) == {"complete_case"}
    assert res.curves == {}  # the primary (FIML) failed: the figures get a placeholder


def test_no_predictor_has_no_slopes_or_jn(wide, settings):
    a = replace(settings.analyses[0], predictor=None)
    t = analyse(wide, replace(settings, analyses=(a,))).tables()
    assert t["simple_slopes"].empty and t["jn"].empty
    assert "w" in set(t["estimates"]["term"]) and "dxw" not in set(t["estimates"]["term"])
    assert (t["status"]["predictor"].fillna("") == "").all()


def test_curve_spans_the_observed_moderator(wide, settings):
    res = analyse(wide, settings)
    curve = res.curves[settings.analyses[0].name]
    assert len(curve) == JN_GRID and curve["w"].min() == 1 and curve["w"].max() == 7
    assert (curve["ci_lower"] < curve["est"]).all() and (curve["est"] < curve["ci_upper"]).all()
    lo, hi = res.dx_ranges[settings.analyses[0].name]
    f = model.model_frame(wide, settings.analyses[0])
    assert (lo, hi) == (f["dx"].min(), f["dx"].max())


def test_slopes_beyond_the_observed_range_say_so(wide, settings):
    # everyone scores 6 or 7 except a few: mean + 1 SD lies above 7
    w = wide["identification_T0"].where(wide.index < 40, 7.0)
    t = analyse(wide.assign(identification_T0=w), settings).tables()
    s = t["simple_slopes"]
    high = s[(s["at"] == "mean + 1 SD") & s["primary"]].iloc[0]
    assert high["w"] > 7 and not high["within_observed"]
    sent = build_sentences(t, settings)
    text = sent.loc[(sent["kind"] == "simple_slopes") & sent["primary"], "sentence"].iloc[0]
    assert "beyond the highest score observed" in text
