"""The grader as an ordinary user, with Python installed in a folder the sandbox must keep (/tmp).

CI runs as root, which would hide a path only root can take.  As root, this
test builds a fresh virtual environment under /tmp (Debian's python3, torch
pinned, this package installed from the checkout, not editable: the package
and its bank then live inside the environment, where submissions must not
read them), and grades the reference solutions as ``nobody``, twice at the
same time: both batches get full marks with full isolation, and nothing is
left behind.  Run by an ordinary user, the rest of the suite already is this
test.
"""
import json
import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYTHON = shutil.which("python3", path="/usr/bin")
pytestmark = pytest.mark.slow


def _missing() -> str | None:
    if os.geteuid() != 0:
        return "already an ordinary user: every grading test runs as one"
    if shutil.which("runuser") is None:
        return "runuser is not installed"
    if PYTHON is None:
        return "no system python3 to build an environment an ordinary user can read"
    version = subprocess.run([PYTHON, "-c", "import sys; print(sys.version_info[:2] == (3, 11))"],
                             capture_output=True, text=True).stdout.strip()
    if version != "True":
        return "the system python3 is not 3.11 (torch is installed from a 3.11 wheel here)"
    return None


@pytest.fixture(scope="module")
def user_env(tmp_path_factory):
    why = _missing()
    if why:
        pytest.skip(why)
    venv = Path(subprocess.check_output(["mktemp", "-d", "/tmp/tutor-user-venv-XXXXXX"], text=True).strip())
    work = Path(subprocess.check_output(["mktemp", "-d", "/tmp/tutor-user-work-XXXXXX"], text=True).strip())
    try:
        subprocess.run([PYTHON, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        subprocess.run([*pip, "torch==2.13.0"], check=True, timeout=600)
        subprocess.run([*pip, str(ROOT)], check=True, timeout=600)
        shutil.copytree(ROOT / "solutions", work / "solutions")
        subprocess.run(["chmod", "-R", "a+rX", str(venv)], check=True)
        subprocess.run(["chmod", "-R", "a+rwX", str(work)], check=True)
        os.chmod(venv, 0o755)
        os.chmod(work, 0o777)
        yield venv, work
    finally:
        shutil.rmtree(venv, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


def test_two_batches_as_nobody_at_the_same_time_get_full_marks(user_env):
    venv, work = user_env
    tmp_before = set(os.listdir("/tmp"))
    env = ["env", "-i", f"HOME={work}", f"TUTOR_DATA={work / 'data'}", "PATH=/usr/bin:/bin", "LANG=C.UTF-8"]
    runs = [subprocess.Popen(["runuser", "-u", "nobody", "--", *env, str(venv / "bin" / "tutor"), "grade",
                              str(work / "solutions"), "--jobs", "2", "-o", str(work / f"{name}.json")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for name in ("a", "b")]
    outputs = [p.communicate(timeout=600) for p in runs]
    for p, (_out, err) in zip(runs, outputs):
        assert p.returncode == 0, err
    for name in ("a", "b"):
        report = json.loads((work / f"{name}.json").read_text())
        assert report["results"] and all(r["score"] == r["max_score"] > 0 for r in report["results"]), report
        assert report["isolation"]["mode"] == "full" and report["isolation"]["problems"] == []
    nobody = pwd.getpwnam("nobody").pw_uid                   # (other programs of the machine may use /tmp meanwhile)
    left_in_tmp = {n for n in set(os.listdir("/tmp")) - tmp_before if os.lstat(f"/tmp/{n}").st_uid == nobody}
    assert left_in_tmp == set()                                  # nothing left in /tmp
    left = subprocess.run(["ps", "-u", "nobody", "-o", "stat=,args="], capture_output=True, text=True).stdout
    assert [line for line in left.splitlines() if not line.startswith("Z")] == []


def test_the_installed_package_and_bank_stay_hidden_from_a_submission(user_env):
    venv, work = user_env
    site = subprocess.check_output([str(venv / "bin" / "python"), "-c",
                                    "import tutor, os; print(os.path.dirname(tutor.__file__))"], text=True,
                                   cwd=work).strip()
    sub = work / "spy" / "eve"
    sub.mkdir(parents=True)
    target = Path(site) / "_exercises" / "code" / "zero_before_backward.py"
    assert target.is_file()
    (sub / "zero_before_backward.py").write_text(
        "def descend(**k):\n"
        f"    return len(open({str(target)!r}).read())\n")
    subprocess.run(["chmod", "-R", "a+rwX", str(work / "spy")], check=True)
    env = ["env", "-i", f"HOME={work}", f"TUTOR_DATA={work / 'data'}", "PATH=/usr/bin:/bin", "LANG=C.UTF-8"]
    p = subprocess.run(["runuser", "-u", "nobody", "--", *env, str(venv / "bin" / "tutor"), "grade",
                        str(work / "spy"), "-o", str(work / "spy.json")], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    test = json.loads((work / "spy.json").read_text())["results"][0]["tests"][0]
    assert test["score"] == 0 and "FileNotFoundError" in test["output"], test


def test_tutor_check_lessons_and_catalogue_as_nobody(user_env):
    """The bank check as an ordinary user, on the installed package: its bank, lessons and Chinese catalogue
    travelled in the wheel."""
    venv, work = user_env
    tutor = str(venv / "bin" / "tutor")
    env = ["env", "-i", f"HOME={work}", f"TUTOR_DATA={work / 'data'}", "PATH=/usr/bin:/bin", "LANG=C.UTF-8"]

    def run(*args, stdin=""):
        return subprocess.run(["runuser", "-u", "nobody", "--", *env, *args], input=stdin, capture_output=True,
                              text=True, timeout=900, cwd=work)

    checked = run(tutor, "check", "--solutions", str(work / "solutions"))
    assert checked.returncode == 0, checked.stdout[-2000:] + checked.stderr[-2000:]
    learned = run(tutor, "learn", "accumulation", "--practice", "0", "--json", stdin="\n")
    assert learned.returncode == 0 and '"agree": true' in learned.stdout, learned.stderr
    chinese = run("/usr/bin/env", "TUTOR_LANG=zh_CN", tutor, "--help")
    assert "学习者命令" in chinese.stdout


if __name__ == "__main__":      # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
