

def test_reformatted_ids_still_match_their_baseline_id(controlled_study):
    """id_format defects differ by case / white space only (the SC- prefix included), so
    a cleaner that trims and case-folds finds every one at baseline."""
    d = controlled_study.defects
    ids = d[d.defect == "id_format"]
    assert len(ids) == 5
    for value, canonical in zip(ids["value"], ids["canonical_id"]):
        assert value != canonical and value.strip().upper() == canonical
    base = set(_canon(controlled_study.frames["T0"]["participant_id"]))
    assert set(_canon(pd.Series(ids["value"].tolist()))) <= base
