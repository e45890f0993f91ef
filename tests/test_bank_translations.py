"""The bank's own texts in Chinese: every text of the bundled bank extracted and translated with the same
placeholders, shown in the learner's language, and a bank author's own language checked by tutor check."""
import json
import os
import subprocess
import sys
from pathlib import Path

from tutor.bank.load import read_toml
from tutor.bank.translations import check_catalogues, texts_of
from tutor.foundation.paths import default_bank_dir

ROOT = Path(__file__).resolve().parents[1]
BANK = default_bank_dir()


def bank_docs(root=BANK):
    return [read_toml(p) for p in sorted(Path(root).rglob("*.toml"))]


def test_every_text_of_the_bundled_bank_is_translated_with_the_same_placeholders():
    """Exercises, lessons and the stubs learners edit (their docstrings and comments, still valid Python)."""
    from tutor.bank.translations import bank_stub_texts

    texts = [t for doc in bank_docs() for t in texts_of(doc)] + bank_stub_texts(BANK)
    (zh,) = [r for r in check_catalogues(BANK, bank_docs()) if r.language == "zh_CN"]
    assert zh.untranslated == [] and zh.problems == [], (zh.untranslated[:5], zh.problems[:5])
    assert zh.translated == len(texts) > 700


def test_the_template_holds_every_text_and_pybabel_extracts_them_all():
    """exercises/locale/bank.pot is current: Babel's own extraction (the bank's babel.cfg) finds every text."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg
    from babel.messages.pofile import read_po

    with open(BANK / "babel.cfg") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    from tutor.bank.translations import bank_stub_texts

    extracted = {(ctx, msg) for _f, _l, msg, _c, ctx in extract_from_dir(str(BANK), method_map, options_map)}
    expected = {t for doc in bank_docs() for t in texts_of(doc)} | set(bank_stub_texts(BANK))
    assert {(c, m) for c, m in expected} == extracted
    with open(BANK / "locale" / "bank.pot", "rb") as fh:
        template = {(m.context, m.id) for m in read_po(fh) if m.id}
    assert template == extracted, "run the pybabel extract line of exercises/babel.cfg"
    with open(BANK / "locale" / "zh_CN" / "LC_MESSAGES" / "bank.po", "rb") as fh:
        po = {(m.context, m.id) for m in read_po(fh) if m.id and m.string}
    assert expected <= po


def _tutor(*args, lang=None, input=""):
    env = {k: v for k, v in os.environ.items() if k not in ("TUTOR_LANG", "LANG", "LANGUAGE", "LC_ALL")}
    if lang:
        env["TUTOR_LANG"] = lang
    return subprocess.run([sys.executable, "-m", "tutor", *args], input=input, capture_output=True, text=True,
                          cwd=ROOT, env=dict(env, PYTHONPATH=str(ROOT)), timeout=300)


def test_a_quiz_in_chinese_shows_the_banks_texts_in_chinese_with_the_same_verdicts(tmp_path):
    """The same answers, the same verdicts; the question, hints and explanation in Chinese."""
    results = {}
    for lang in ("en", "zh_CN"):
        data = tmp_path / lang
        env_args = ("quiz", "--exercise", "accumulate-three-backward", "--seed", "2", "--json")
        p = subprocess.run([sys.executable, "-m", "tutor", *env_args], input="hint\n1\n２\n", capture_output=True,
                           text=True, cwd=ROOT, timeout=300,
                           env={**{k: v for k, v in os.environ.items() if k != "TUTOR_LANG"},
                                "TUTOR_LANG": lang, "TUTOR_DATA": str(data), "PYTHONPATH": str(ROOT)})
        results[lang] = [json.loads(x) for x in p.stdout.splitlines() if x.strip()]
    en, zh = results["en"], results["zh_CN"]
    q_en, q_zh = (next(e for e in evs if e["event"] == "question") for evs in (en, zh))
    assert q_en["title"] != q_zh["title"] and any("\u4e00" <= ch <= "\u9fff" for ch in q_zh["title"])
    hint_zh = next(e for e in zh if e["event"] == "hint")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in hint_zh["text"])
    verdicts = [[(e["correct"], e.get("misconception")) for e in evs if e["event"] == "feedback"] for evs in (en, zh)]
    assert verdicts[0] == verdicts[1] and len(verdicts[0]) == 2
    last_zh = [e for e in zh if e["event"] == "feedback"][-1]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in last_zh["explanation"])


def test_an_authors_bank_adds_a_language_and_tutor_check_checks_it(tmp_path):
    """A bank of one's own: its babel.cfg, a French catalogue, and tutor check on it (a lost placeholder is
    a problem; an untranslated text is reported)."""
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    bank = tmp_path / "bank"
    bank.mkdir()
    (bank / "t.toml").write_text(
        'format_version = 1\n[[exercise]]\nid = "d1"\ntitle = "Square"\ntopic = "derivatives"\nkind = "derive"\n'
        'function = "x^2"\nvariables = ["x"]\nhints = ["The power rule.", "Twice {x0}?"]\n'
        'explanation = "d/dx x^2 = 2x."\n[exercise.params]\nx0 = { min = 1, max = 3 }\n', encoding="utf-8")
    folder = bank / "locale" / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    catalog = Catalog(locale="fr", domain="bank")
    catalog.add("Square", "Carré", context="d1|title")
    catalog.add("Twice {x0}?", "Deux fois ?", context="d1|hints")          # the placeholder lost
    with open(folder / "bank.mo", "wb") as fh:
        write_mo(fh, catalog)
    (report,) = check_catalogues(bank, bank_docs(bank))
    assert report.language == "fr" and report.translated == 2 and len(report.untranslated) == 2
    assert len(report.problems) == 1 and "d1|hints" in report.problems[0]
    r = _tutor("--exercises", str(bank), "list", "--json", lang="fr")
    assert r.returncode == 0 and json.loads(r.stdout)[0]["title"] == "Carré"
    assert json.loads(_tutor("--exercises", str(bank), "list", "--json", lang="en").stdout)[0]["title"] == "Square"


def test_the_compiled_bank_catalogue_is_current():
    """bank.mo says what bank.po says (run pybabel compile -d exercises/locale -D bank after editing)."""
    import gettext

    from babel.messages.pofile import read_po

    folder = BANK / "locale" / "zh_CN" / "LC_MESSAGES"
    with open(folder / "bank.po", "rb") as fh:
        po = [m for m in read_po(fh) if m.id and m.string]
    with open(folder / "bank.mo", "rb") as fh:
        mo = gettext.GNUTranslations(fh)
    stale = [m.context for m in po if mo.pgettext(m.context, m.id) != m.string]
    assert not stale, stale[:5]


def test_a_code_question_in_chinese_hands_out_the_stub_in_chinese(tmp_path):
    """The learner's copy: its docstring and TODO in Chinese, the code as written; checking it unedited costs
    no attempt (it is the stub, in any language)."""
    data = tmp_path / "data"
    env = {**{k: v for k, v in os.environ.items() if k != "TUTOR_LANG"}, "TUTOR_LANG": "zh_CN",
           "TUTOR_DATA": str(data), "PYTHONPATH": str(ROOT)}
    p = subprocess.run([sys.executable, "-m", "tutor", "quiz", "--exercise", "code-zero-before-backward", "--json"],
                       input="check\nquit\n", capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    events = [json.loads(x) for x in p.stdout.splitlines() if x.strip()]
    (copy,) = list((data / "work").rglob("*.py"))
    text = copy.read_text(encoding="utf-8")
    english = (BANK / "code" / copy.name).read_text(encoding="utf-8")
    assert text != english and any("\u4e00" <= ch <= "\u9fff" for ch in text) and "TODO" in text
    import ast

    def code(source):          # the program without its docstring (ast drops the comments)
        tree = ast.parse(source)
        return ast.dump(ast.Module(body=tree.body[1:], type_ignores=[]))

    assert code(text) == code(english)
    invalid = [e for e in events if e["event"] == "invalid"]
    assert invalid and invalid[0]["code"] == "quiz.code-unedited"


def test_a_damaged_catalogue_costs_the_bank_nothing_and_check_names_it(tmp_path):
    """A bank.mo that is not a catalogue: the bank loads in English, tutor check says which file."""
    import shutil

    bank = tmp_path / "bank"
    shutil.copytree(BANK, bank, ignore=shutil.ignore_patterns("locale", "__pycache__"))
    folder = bank / "locale" / "zh_CN" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "bank.mo").write_bytes(b"not a catalogue at all")
    r = _tutor("--exercises", str(bank), "list", "--json", lang="zh_CN")
    assert r.returncode == 0 and json.loads(r.stdout)[0]["title"] == "Three backward calls, no zeroing"
    (report,) = check_catalogues(bank, bank_docs(bank))
    assert report.problems and "bank.mo" in report.problems[0]


def test_the_key_shows_the_reference_solution_in_the_learners_language(tmp_path):
    env = {**{k: v for k, v in os.environ.items() if k != "TUTOR_LANG"}, "TUTOR_LANG": "zh_CN",
           "PYTHONPATH": str(ROOT)}
    out = tmp_path / "s.md"
    r = subprocess.run([sys.executable, "-m", "tutor", "sheet", "--exercise", "code-backward-call-it", "--seed", "1",
                        "-o", str(out)], capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    key = (tmp_path / "s-key.md").read_text(encoding="utf-8")
    solution = key[key.index("../solutions/"):]
    assert "均方误差" in solution and "The gradient of the mean squared error" not in solution


def test_check_says_when_a_catalogue_was_edited_after_it_was_compiled(tmp_path):
    """A .po edited after its .mo (more than a checkout's moment apart) is a note; within it, none."""
    import shutil

    from tutor.features.check import check_translations

    bank = tmp_path / "bank"
    shutil.copytree(BANK, bank, ignore=shutil.ignore_patterns("__pycache__"))
    po = bank / "locale" / "zh_CN" / "LC_MESSAGES" / "bank.po"
    mo = po.with_suffix(".mo")
    stamp = mo.stat().st_mtime
    os.utime(po, (stamp + 1, stamp + 1))
    assert not any(str(po) in n for n in check_translations(bank)[1])
    os.utime(po, (stamp + 3600, stamp + 3600))
    assert any(str(po) in n for n in check_translations(bank)[1])
