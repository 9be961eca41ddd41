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


# Numbers the prose quotes, each with the generated table (docs/tables/) and the row it comes from:
# (page, phrase on the page, table, the row's first cell, the number, which the phrase and the row both
# hold). A rerun that moves a number fails here until the page quotes the new one.
VC, DG, PHOTON = "versus-classical", "docs/decision-guide.md", "camera deconvolution, photon counts"
QUOTED = [
    ("README.md", "DIP +1.62 dB over non-local means", VC, "F16 denoising", "+1.62"),
    ("README.md", "camera −0.20, cell −0.37 dB", "peers", "camera, Gaussian noise", "-0.20"),
    ("README.md", "camera −0.20, cell −0.37 dB", "peers", "cell, Gaussian noise", "-0.37"),
    ("README.md", "DIP +0.81 dB over BM3D", "peers", "cell, photon counts", "+0.81"),
    ("README.md", "a camera's ADU (−0.38 dB)", "peers", "camera, photon counts", "-0.38"),
    ("README.md", "DIP +2.14 dB over biharmonic", VC, "library inpainting", "+2.14"),
    ("README.md", "a tie (+0.32 dB)", VC, "kate inpainting", "+0.32"),
    ("README.md", "DIP +0.55 dB", VC, "barbara 50% pixels", "+0.55"),
    ("README.md", "biharmonic better by 1.66 dB", VC, "cell 50% pixels", "-1.66"),
    ("README.md", "DIP +2.85 dB over bicubic", VC, "zebra super-resolution 4x", "+2.85"),
    ("README.md", "Richardson-Lucy-TV (+0.27 dB)", "peers", "camera deconvolution (PSF 2.5 px", "+0.27"),
    ("README.md", "DIP +0.68 dB over Wiener", "peers", PHOTON, "+0.68"),
    ("README.md", "+0.65 dB in *vc*", VC, PHOTON, "+0.65"),
    (DG, "+1.62 dB over non-local means", VC, "F16 denoising", "+1.62"),
    (DG, "+0.37 dB over non-local means", VC, "camera denoising", "+0.37"),
    (DG, "+0.32 dB over biharmonic", VC, "kate inpainting", "+0.32"),
    (DG, "+2.14 dB over biharmonic", VC, "library inpainting", "+2.14"),
    (DG, "+0.55 dB over biharmonic", VC, "barbara 50% pixels", "+0.55"),
    (DG, "DIP −1.66 dB", VC, "cell 50% pixels", "-1.66"),
    (DG, "+2.85 dB over bicubic", VC, "zebra super-resolution 4x", "+2.85"),
    (DG, "+0.81 dB / −0.38 dB", "peers", "cell, photon counts", "+0.81"),
    (DG, "+0.81 dB / −0.38 dB", "peers", "camera, photon counts", "-0.38"),
    (DG, "+0.68 dB over Wiener (+0.58 to +0.75)", "peers",
     PHOTON, "+0.68 (+0.58 to +0.75)"),
    (DG, "+0.65 dB in the versus-classical run", VC,
     PHOTON, "+0.65"),
    (DG, "+0.27 dB over Richardson-Lucy-TV", "peers", "camera deconvolution (PSF 2.5 px", "+0.27"),
    ("docs/benchmarks.md", "photon-count deconvolution +0.65 over Wiener", VC,
     PHOTON, "+0.65"),
    ("docs/tasks/deconvolve.md", "by 0.65 dB (+0.61 to +0.72)", VC,
     PHOTON, "+0.65 (+0.61 to +0.72)"),
    ("docs/tasks/deconvolve.md", "0.68 dB on every seed (+0.58 to +0.75", "peers",
     PHOTON, "+0.68 (+0.58 to +0.75)"),
    ("docs/tasks/inpaint.md", "2.14 dB on the library hole", VC, "library inpainting", "+2.14"),
    ("docs/tasks/denoise.md", "+0.37 dB; seeds\n+0.09 to +0.73", VC, "camera denoising",
     "+0.37 (+0.09 to +0.73)"),
]


def _flat(path: Path) -> str:
    """The page's text with every run of whitespace (line breaks too) as one space."""
    return " ".join(path.read_text().split())


def _row(table: str, first_cell: str) -> str:
    rows = [line for line in (DOCS / "tables" / f"{table}.md").read_text().splitlines()
            if line.startswith(f"| {first_cell}")]
    assert len(rows) == 1, f"{table}: {len(rows)} rows start with {first_cell!r}"
    return rows[0]


@pytest.mark.parametrize(("page", "phrase", "table", "row", "number"), QUOTED)
def test_quoted_numbers_match_their_tables(page, phrase, table, row, number):
    """A margin the prose quotes is on the page and in the generated table's row it comes from."""
    text, phrase = _flat(ROOT / page), " ".join(phrase.split())
    assert phrase in text, f"{page} no longer says {phrase!r}: update QUOTED with the page"
    assert number.lstrip("+-").split(" ")[0] in phrase, (page, phrase, number)
    line = _row(table, row)
    assert number in line, f"{page} quotes {number} from {table}.md, whose row is now {line}"


def test_deconvolution_input_rule_and_iteration_caps_as_the_code_says():
    """The pages give the deconvolution input rule's 2 px and every task's preset cap as the code does."""
    from napari_dip.core import tasks
    from napari_dip.core.tasks.deconvolve import WIENER_INPUT_BELOW

    assert WIENER_INPUT_BELOW == 2.0
    px = f"{WIENER_INPUT_BELOW:g} px"
    rule = f"Wiener-Hunt under {px}, Richardson-Lucy from {px}; a 3D PSF"
    assert rule in _flat(DOCS / "tasks" / "deconvolve.md")
    caps = {name: tasks.get(name).policy.preset()["iterations"] for name in tasks.MODULES}
    hole = tasks.get("inpaint").policy.preset("hole")["iterations"]
    sr8 = tasks.get("super_resolution").policy.preset(inputs={"factor": 8})["iterations"]
    stated = (f"denoise, reconstruct and deconvolve {caps['denoise']}, inpaint {caps['inpaint']} "
              f"(the hole preset {hole}), super-resolution {caps['super_resolution']} ({sr8} at 8x), "
              f"blend {caps['blend']}")
    assert caps["denoise"] == caps["reconstruct"] == caps["deconvolve"]
    assert stated in _flat(DOCS / "stopping.md")


def _benchmark(monkeypatch, name: str = "real_size"):
    """benchmarks/<name>.py as a module (it imports the benchmarks' ``_lib``; torch only to run a case)."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_will_it_run_tables_match_the_real_size_results(monkeypatch):
    """The "will it run" numbers are one set: docs/tables/real-size.md and will-it-run.md are what
    benchmarks/real_size.py renders from its results now, and README's copy is the short table itself."""
    real_size = _benchmark(monkeypatch)
    kept = real_size.load(real_size.TRACE)
    assert real_size.TABLE.read_text() == real_size.markdown(kept)
    short = real_size.short(kept)
    assert real_size.SHORT.read_text() == short
    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- will-it-run:start -->\n", 1)[1].split("\n<!-- will-it-run:end -->", 1)[0]
    assert block == short.rstrip()
    assert short.count("\n| ") >= 3


def test_the_tile_warm_table_matches_its_results(monkeypatch):
    tile_warm = _benchmark(monkeypatch, "tile_warm")
    assert tile_warm.TABLE.read_text() == tile_warm.markdown(tile_warm.load(tile_warm.TRACE))
