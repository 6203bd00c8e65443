"""The cascade claims run in quick mode and return verdicts with numbers and figures."""

import pytest

from metacascade.claims.base import Context, discover


@pytest.mark.parametrize("sid", ["S3", "S5", "S2", "S9", "S4"])
def test_cascade_claims_run(sid, tmp_path):
    exp = discover()[sid]
    verdicts = exp.func(Context(out_dir=tmp_path, quick=True, seed=0))
    assert {v.id for v in verdicts} == set(exp.ids)
    for v in verdicts:
        assert v.status in ("reproduced", "not reproduced", "illustrated")
        assert not v.problems(), v.problems()
        assert v.measured and v.targets and v.sources
        for fig in v.figures:
            assert (tmp_path / fig).stat().st_size > 5_000
