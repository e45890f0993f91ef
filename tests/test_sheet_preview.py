"""tutor sheet --preview: how many distinct variants an exercise has; a roster larger than that is warned."""
import json

import pytest

from tutor import bank
from tutor.features.sheets.preview import fingerprint, preview


@pytest.fixture(scope="module")
def bundled_bank():
    return bank.by_id(bank.load())


def test_the_exact_count_is_what_seeded_draws_reach(bundled_bank):
    from tutor.bank.variants import variant

    for ex_id in ("accumulate-three-backward", "chain-rule-sin-power", "code-b-linreg-manual",
                  "requires-grad-default"):
        ex = bundled_bank[ex_id]
        p = preview(ex)
        assert p.exact and 1 <= p.distinct <= p.space
        memo: dict = {}             # the same parameter draw is not simulated again (a variant is a function of it)
        seen = {fingerprint(variant(ex, seed, memo)) for seed in range(600)}
        assert len(seen) == p.distinct, (ex_id, len(seen), p.distinct)


def test_preview_on_the_command_line(run_cli):
    r = run_cli("sheet", "--preview", "accumulate-three-backward", "--format", "json")
    assert r.exit_code == 0, r.output
    (got,) = json.loads(r.stdout)
    assert got["exercise"] == "accumulate-three-backward" and got["exact"] and got["distinct"] >= 2
    assert 2 <= got["answers"] <= got["distinct"]
    tf = [ex for ex in bank.load() if ex.kind == "concept" and not ex.data.get("choices")][0]
    (one,) = json.loads(run_cli("sheet", "--preview", tf.id, "--format", "json").stdout)
    assert one["answers"] == 1              # a true/false question: every variant has the same answer
    assert run_cli("sheet", "--preview", "no-such-exercise").exit_code == 2


def test_a_roster_larger_than_the_variants_is_warned(run_cli, tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_text("id\n" + "\n".join(f"s{i}" for i in range(12)) + "\n")
    r = run_cli("sheet", "--exercise", "accumulate-three-backward", "--exercise", "chain-rule-sin-power",
                "--seed", "1", "--students", str(roster), "-o", str(tmp_path / "hw") + "/", "--format", "md")
    assert r.exit_code == 0, r.output
    assert "accumulate-three-backward" in r.stderr and "--preview" in r.stderr
    manifest = json.loads((tmp_path / "hw" / "sheet-manifest.json").read_text())
    seeds = [e["questions"][0]["seed"] for e in manifest["students"].values()]
    assert len(seeds) == 12
    small = tmp_path / "two.csv"
    small.write_text("id\na\nb\n")
    for seed in range(20):        # a seed where the two students' variants differ: no warning then
        r = run_cli("sheet", "--exercise", "chain-rule-sin-power", "--seed", str(seed), "--students", str(small),
                    "-o", str(tmp_path / f"two{seed}") + "/", "--format", "md")
        m = json.loads((tmp_path / f"two{seed}" / "sheet-manifest.json").read_text())
        ex = bank.find(bank.load(), "chain-rule-sin-power")
        prints = {fingerprint(bank.variant(ex, e["questions"][0]["seed"])) for e in m["students"].values()}
        assert ("--preview" in r.stderr) == (len(prints) < 2)
