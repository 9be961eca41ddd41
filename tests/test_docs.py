"""The documentation: generated tables are current, the site builds strictly, user pages stay clean."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _tables():
    spec = importlib.util.spec_from_file_location("docs_tables", DOCS / "scripts" / "tables.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_tables_match_the_result_files():
    """Every docs/tables/*.md is what docs/scripts/tables.py renders from benchmarks/traces/ now."""
    tables = _tables()
    assert tables.stale() == [], "stale tables: run python docs/scripts/tables.py"


def test_a_changed_result_makes_its_table_stale(tmp_path, monkeypatch):
    """The check can fail: one PSNR changed in a result file changes the rendered table."""
    tables = _tables()
    traces = tmp_path / "traces"
    shutil.copytree(tables.TRACES, traces)
    path = traces / "versus-classical-96-s0.json"
    path.write_text(path.read_text().replace("[\n   37.", "[\n   36.", 1))
    before = tables.render("versus-classical")
    monkeypatch.setattr(tables, "TRACES", traces)
    assert tables.render("versus-classical") != before
    assert "docs/tables/versus-classical.md" in tables.stale()


def test_tables_carry_command_date_and_machine():
    tables = _tables()
    for name in tables.TABLES:
        text = tables.render(name)
        line = text.splitlines()[1]
        assert (
            "*Command:* `python benchmarks/" in line and "*date:* 20" in line and "*machine:* CPU" in line
        ), name
        assert text.count("\n| ") >= 3, name


def test_settings_table_lists_every_option():
    from napari_dip.core.settings import option_names

    text = _tables().render("settings")
    assert [m for m in re.findall(r"^\| `(\w+)` \|", text, flags=re.M)] == list(option_names())


def test_every_included_snippet_exists():
    """Each --8<-- include in the pages names a file that exists (mkdocs --strict checks it too)."""
    for page in DOCS.rglob("*.md"):
        for name in re.findall(r'^--8<-- "([^"]+)"', page.read_text(), flags=re.M):
            assert (ROOT / name).exists(), f"{page.relative_to(ROOT)} includes missing {name}"


def test_user_pages_have_no_diary_language():
    """The pages in the navigation state what is true now: no sessions, issue numbers or internal reports."""
    pattern = re.compile(r"this session|issue #?\d|report 00\d|reports 00\d", re.I)
    for page in [ROOT / "README.md", *DOCS.rglob("*.md")]:
        if "notes" in page.relative_to(ROOT).parts:
            continue
        hits = [line for line in page.read_text().splitlines() if pattern.search(line)]
        assert not hits, f"{page.relative_to(ROOT)}: {hits[:3]}"


@pytest.mark.skipif(importlib.util.find_spec("mkdocs") is None, reason="the docs extra is not installed")
def test_mkdocs_build_strict(tmp_path):
    """mkdocs build --strict: a broken link, a missing snippet or a docstring warning fails it."""
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "site" / "decision-guide" / "index.html").exists()
    for page in (tmp_path / "site").rglob("*.html"):  # markup no extension turned into HTML
        html = page.read_text()
        assert (
            "=== &quot;" not in html
            and '=== "' not in html
            and "!!! note" not in html
            and "--8&lt;--" not in html
        ), page


def test_the_tutorial_python_block_runs(monkeypatch, capsys):
    """The Python block of getting-started.md runs as written (with a 20-iteration, 16-channel fit)."""
    import napari_dip

    text = (DOCS / "getting-started.md").read_text()
    section = text[text.index("## 4. The same from Python"):]
    code = re.search(r"```python\n(.*?)```", section, flags=re.S).group(1)
    real = napari_dip.restore
    monkeypatch.setattr(napari_dip, "restore", lambda *a, **kw: real(*a, iterations=20, width=16, **kw))
    namespace: dict = {}
    exec(compile(code, "getting-started.md", "exec"), namespace)
    result, clean = namespace["result"], namespace["clean"]
    assert result.image.shape == clean.shape and result.image.dtype == clean.dtype
    assert namespace["method"] == "non-local means"
    assert "StopInfo" in capsys.readouterr().out


def test_the_readme_python_block_runs(monkeypatch):
    """README's Python block runs as written, on the bundled samples (short fits), and each call returns an
    image of the promised shape: the input's, super-resolution's times the factor."""
    import napari_dip
    from napari_dip import sample_data

    text = (ROOT / "README.md").read_text()
    code = re.search(r"## Python\n\n```python\n(.*?)```", text, flags=re.S).group(1)
    real, shapes = napari_dip.restore, []

    def short(image, *args, **kw):
        result = real(image, *args, iterations=5, width=8, **kw)
        shapes.append((image.shape, result.image.shape, kw.get("factor") or 1))
        return result

    monkeypatch.setattr(napari_dip, "restore", short)
    noisy, _ = (data for data, _, _ in sample_data.make_noisy_sample())
    photo, labels, _ = (data for data, _, _ in sample_data.make_text_sample())
    namespace = dict(noisy=noisy, photo=photo, labels=labels, low_res=sample_data.camera(32),
                     blurred=sample_data.camera(48))
    exec(compile(code, "README.md", "exec"), namespace)
    assert len(shapes) == 4
    for before, after, factor in shapes:
        assert after[:2] == (before[0] * factor, before[1] * factor)
