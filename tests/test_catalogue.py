"""The gettext catalogues: the template is what the code says today, the Chinese catalogue translates every
message with the same placeholders, and the compiled catalogue is the one the tutor reads."""
import gettext
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

babel = pytest.importorskip("babel")
from babel.messages.extract import extract_from_dir  # noqa: E402
from babel.messages.pofile import read_po  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "tutor" / "locale"
FIELDS = re.compile(r"(?<!\{)\{[^{}]*\}(?!\})")


def _ids(catalog):
    return {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog if m.id}


def test_the_template_holds_every_message_of_the_code():
    """A message added, changed or removed in the code and not extracted (pybabel extract -F babel.cfg ...)
    fails here: no text shown to a person escapes the catalogue."""
    from babel.messages.frontend import parse_mapping_cfg

    with open(ROOT / "babel.cfg", encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords={"_": None, "N_": None, "ngettext": (1, 2)}):
        found.add(message if isinstance(message, str) else message[0])
    with open(LOCALE / "tutor.pot", "rb") as fh:
        template = set(_ids(read_po(fh)))
    assert found == template, (sorted(found - template)[:5], sorted(template - found)[:5])


def test_the_chinese_catalogue_translates_everything_with_the_same_placeholders():
    with open(LOCALE / "tutor.pot", "rb") as fh:
        template = _ids(read_po(fh))
    with open(LOCALE / "zh_CN" / "LC_MESSAGES" / "tutor.po", "rb") as fh:
        zh = _ids(read_po(fh))
    assert set(template) <= set(zh)
    for msgid in template:
        m = zh[msgid]
        strings = [m.string] if isinstance(m.string, str) else list(m.string)
        assert all(strings) and "fuzzy" not in m.flags, msgid
        for s in strings:
            assert sorted(FIELDS.findall(s)) == sorted(FIELDS.findall(msgid)), (msgid, s)


def test_the_compiled_catalogue_is_the_translation():
    with open(LOCALE / "zh_CN" / "LC_MESSAGES" / "tutor.po", "rb") as fh:
        zh = _ids(read_po(fh))
    with open(LOCALE / "zh_CN" / "LC_MESSAGES" / "tutor.mo", "rb") as fh:
        mo = gettext.GNUTranslations(fh)
    for msgid, m in zh.items():
        if isinstance(m.string, str):
            assert mo.gettext(msgid) == m.string, msgid


def test_the_tutor_speaks_chinese_when_asked():
    env = {**os.environ, "TUTOR_LANG": "zh_CN", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "tutor", "--help"], capture_output=True, text=True, env=env,
                         cwd=ROOT, timeout=60).stdout
    assert "学习者命令" in out and "教师命令" in out


def test_lang_chooses_over_the_environment():
    def helped(*args, lang_env):
        env = {**os.environ, "TUTOR_LANG": lang_env, "PYTHONPATH": str(ROOT)}
        return subprocess.run([sys.executable, "-m", "tutor", *args, "--help"], capture_output=True, text=True,
                              env=env, cwd=ROOT, timeout=60)

    assert "学习者命令" in helped("--lang", "zh", lang_env="en").stdout
    assert "学习者命令" not in helped("--lang=en", lang_env="zh_CN").stdout
    assert helped("--lang", "klingon", lang_env="en").returncode == 2


def test_full_width_input_on_the_command_line_is_read_as_meant(run_cli):
    """Typed with a Chinese input method: ｘ＾２ at ｘ＝３, and ２ｘ against x+x."""
    import json

    r = run_cli("grad", "ｘ＾２", "--at", "ｘ＝３", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["gradients"]["x"]["torch"] == [6.0]
    assert run_cli("equiv", "２ｘ", "（ｘ＋ｘ）", "--json").exit_code == 0


def test_every_commands_help_is_chinese_with_the_catalogue(run_cli):
    """tutor --lang zh CMD --help: the command's own help and click's words from the catalogue."""
    import re
    import unicodedata

    def columns(line):
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)

    for command in ("learn", "quiz", "progress", "grad", "equiv", "list", "check", "sheet", "grade", "trace"):
        r = run_cli("--lang", "zh", command, "--help", binary=True, env={"COLUMNS": "80"})
        assert r.exit_code == 0
        usage, _sep, rest = r.stdout.partition("\n\n")          # the usage line(s), then the command's help
        assert usage.startswith("用法"), usage
        assert re.search(r"[\u4e00-\u9fff]", rest.splitlines()[0]), (command, rest[:200])
        assert "Show this message and exit." not in r.stdout
        # laid out by columns on the screen (a Chinese character takes two); only a choice list that has no
        # space to break at (--topic [requires-grad|...]) may run past 80, as in English
        wide = [ln for ln in r.stdout.splitlines() if columns(ln) > 80 and "|" not in ln]
        assert not wide, (command, wide)


def test_click_s_own_errors_in_chinese(run_cli):
    r = run_cli("--lang", "zh", "grade", "x.py", "--format", "text", binary=True)
    assert r.exit_code == 2 and "不是可选值之一" in r.stderr and "is not one of" not in r.stderr


def test_error_is_not_read_as_false():
    """对/错 are true/false, but 错误 also means "an error": it is left as typed (never a lost attempt)."""
    from tutor.foundation.text import typed

    assert typed("错") == "false" and typed("对") == "true" and typed("错误") == "错误"
