"""Generated HTML shown in headless Chromium: the math is laid out as math.

The sheet's HTML carries no script. For the test only, a copy gets a small
script that measures the rendered <math> elements, and Chromium's --dump-dom
reports the layout; a screenshot of the key is saved next to it for people to
look at. Skipped where no Chromium is installed (Debian: apt-get install chromium).
"""
import os
import re
import shutil
import subprocess

import pytest

from tutor.features import sheets

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine")

PROBE = """<script>
addEventListener('load', () => {
  const box = e => e.getBoundingClientRect();
  const maths = [...document.querySelectorAll('math')].map(m => [Math.round(box(m).width), Math.round(box(m).height)]);
  // laid out as math: a fraction's numerator above its denominator, a superscript raised above its base
  const fracs = [...document.querySelectorAll('mfrac')].map(f => box(f.children[0]).bottom <= box(f.children[1]).top + 1);
  const sups = [...document.querySelectorAll('msup')].map(s => box(s.children[1]).top < box(s.children[0]).top - 1);
  document.body.setAttribute('data-probe', JSON.stringify({math: maths, fracs: fracs, sups: sups}));
});
</script>"""


def _chromium(tmp_path, html, *extra):
    page = tmp_path / "page.html"
    page.write_text(html, encoding="utf-8")
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *extra, page.as_uri()],
                          capture_output=True, text=True, timeout=120)


def test_math_renders_in_chromium(tmp_path):
    import json

    sheet = sheets.make_sheet(ids=("chain-rule-sin-power", "chain-rule-log-quadratic"), seed=7)
    html = sheets.render(sheet, "html", key=True)
    assert "<script" not in html
    probed = html.replace("</body>", PROBE + "</body>")
    result = _chromium(tmp_path, probed, "--dump-dom", "--virtual-time-budget=3000")
    m = re.search(r'data-probe="([^"]*)"', result.stdout)
    assert m, result.stderr[-500:]
    data = json.loads(m.group(1).replace("&quot;", '"'))
    assert len(data["math"]) >= 4 and all(w > 0 and h > 0 for w, h in data["math"])
    assert data["fracs"] and all(data["fracs"]), data       # d/dx is drawn as a stacked fraction
    assert data["sups"] and all(data["sups"]), data         # x^3 is drawn with a raised exponent
    # a screenshot for people: the rendered key
    shot = tmp_path / "key.png"
    _chromium(tmp_path, html, f"--screenshot={shot}", "--window-size=900,1200")
    assert shot.exists() and shot.stat().st_size > 10_000
    keep = os.environ.get("TUTOR_SCREENSHOTS")
    if keep:
        shutil.copy(shot, keep)


def test_a_chinese_sheet_and_key_render_in_chromium(tmp_path):
    """tutor --lang zh sheet: the bank's texts and the tutor's words in Chinese, the math laid out as math."""
    import json
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = tmp_path / "zh.html"
    env = {**os.environ, "PYTHONPATH": root, "TUTOR_LANG": "zh_CN"}
    r = subprocess.run([sys.executable, "-m", "tutor", "sheet", "--exercise", "chain-rule-sin-power",
                        "--exercise", "accumulate-three-backward", "--seed", "7", "--format", "html", "-o", str(out)],
                       capture_output=True, text=True, env=env, cwd=root, timeout=300)
    assert r.returncode == 0, r.stderr
    for page in (out, tmp_path / "zh-key.html"):
        html = page.read_text(encoding="utf-8")
        assert re.search(r"[\u4e00-\u9fff]{4}", html) and "<script" not in html
        result = _chromium(tmp_path, html.replace("</body>", PROBE + "</body>"), "--dump-dom",
                           "--virtual-time-budget=3000")
        m = re.search(r'data-probe="([^"]*)"', result.stdout)
        assert m, result.stderr[-500:]
        data = json.loads(m.group(1).replace("&quot;", '"'))
        assert data["math"] and all(w > 0 and h > 0 for w, h in data["math"])
        assert data["fracs"] and all(data["fracs"]) and all(data["sups"]), data
    shot = tmp_path / "zh-key.png"
    _chromium(tmp_path, (tmp_path / "zh-key.html").read_text(encoding="utf-8"), f"--screenshot={shot}",
              "--window-size=900,1200")
    assert shot.exists() and shot.stat().st_size > 10_000
    keep = os.environ.get("TUTOR_SCREENSHOTS")
    if keep:
        shutil.copy(shot, os.path.join(keep, "zh-key.png") if os.path.isdir(keep) else keep + ".zh.png")
