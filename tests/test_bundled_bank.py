"""The bundled bank: coverage of the course notes, and `tutor check` passing on it."""
import json

from tutor import bank
from tutor.foundation.paths import bundled_exercises

# the kinds the course needs (a kind added for an instructor's own bank need not appear in the bundled one)
COURSE_KINDS = ("derive", "predict", "concept", "code")


def test_coverage_of_every_topic_and_kind():
    exercises = bank.load(bundled_exercises())
    assert len(exercises) >= 40
    for kind in COURSE_KINDS:
        assert any(ex.kind == kind for ex in exercises), kind
    for topic in bank.TOPICS:
        n = sum(1 for ex in exercises if ex.topic == topic)
        assert n >= 3, f"{topic}: {n} exercises"


def test_check_passes_on_the_bundled_bank(run_cli):
    r = run_cli("check", "--seeds", "3", "--json")
    report = json.loads(r.stdout)
    assert report["problems"] == [] and r.exit_code == 0
    assert report["exercises"] >= 40 and report["variants_verified"] >= 2 * report["exercises"]


def test_predict_exercises_detect_accumulation_and_zeroing():
    exercises = bank.load(bundled_exercises())
    detected = set()
    for ex in exercises:
        if ex.kind == "predict":
            detected |= {c.id for c in bank.variant(ex, 0).candidates}
    assert {"accumulation.overwrite", "zeroing.placement", "reduction.mean-vs-sum", "vjp.gradient-ignored",
            "grad-mode.no-grad-ignored", "retain-graph.needed", "leaf.nonleaf-grad"} <= detected
