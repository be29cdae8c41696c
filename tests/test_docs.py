"""The user-facing documentation says what the code does: every key docs/outputs.md lists is
in the real output of its command (and every key written is listed), and the input files of
every ``--help`` example exist in the repository."""

from __future__ import annotations

import csv
import io
import json
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from coursekit.cli import cli

ROOT = Path(__file__).parent.parent
OUTPUTS = (ROOT / "docs" / "outputs.md").read_text(encoding="utf-8")
COURSE = "courses/haut/haut-42.toml"
GPX = "courses/haut/haut-42.gpx"
NIGHT_COURSE = "courses/haut/haut-120.toml"  # has night sections


def _section(title: str) -> str:
    """The text of docs/outputs.md from the heading holding ``title`` to the next ``## ``."""
    parts = re.split(r"^## ", OUTPUTS, flags=re.M)
    found = [p for p in parts if p.splitlines()[0].find(title) >= 0]
    assert len(found) == 1, f"docs/outputs.md: no single section '## ...{title}...'"
    return found[0]


def _table_keys(text: str) -> set[str]:
    """The backquoted names in the first column of the markdown tables of ``text``."""
    keys = set()
    for line in text.splitlines():
        if line.startswith("| `"):
            keys |= set(re.findall(r"`([a-z0-9_]+)`", line.split("|")[1]))
    return keys


def _run(*args: str) -> str:
    res = CliRunner().invoke(cli, list(args))
    assert res.exit_code == 0, res.output
    return res.stdout


def _keys(obj, acc: set[str]) -> set[str]:
    if isinstance(obj, dict):
        for k, v in obj.items():
            acc.add(k)
            _keys(v, acc)
    elif isinstance(obj, list):
        for v in obj:
            _keys(v, acc)
    return acc


def _csv_header(text: str) -> list[str]:
    return next(csv.reader(io.StringIO(text)))


@pytest.fixture(scope="module")
def cutoffs_out():
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        return (
            json.loads(_run("cutoffs", NIGHT_COURSE, "--format", "json")),
            _csv_header(_run("cutoffs", NIGHT_COURSE, "--format", "csv")),
        )


def test_cutoffs_keys_are_the_documented_ones(cutoffs_out):
    doc = _table_keys(_section("Top level")) | _table_keys(_section("Per checkpoint"))
    doc |= {"start_m", "end_m", "date", "dawn", "sunrise", "sunset", "dusk", "polar"}
    data, header = cutoffs_out
    written = _keys(data, set())
    assert doc - written == set(), "documented but not written"
    assert written - doc == set(), "written but not documented in docs/outputs.md"
    assert set(header) <= doc
    row_doc = _table_keys(_section("Per checkpoint"))
    assert row_doc - set(header) == set(), "documented CSV columns missing"


def test_profile_keys_are_the_documented_ones():
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        data = json.loads(_run("profile", GPX, "--format", "json", "--splits", "5"))
        header = _csv_header(_run("profile", GPX, "--format", "csv"))
    sec = _section("coursekit profile")
    doc = _table_keys(sec)
    splits = set(re.findall(r"`([a-z0-9_]+)`", sec.split("| `splits` |")[1].split("\n")[0]))
    written = _keys(data, set())
    assert doc | splits == written
    assert set(header) == doc - {"splits"}
    assert header[-1] == "warnings"


def test_legs_keys_are_the_documented_ones():
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        data = json.loads(_run("legs", COURSE, "--format", "json"))
        header = _csv_header(_run("legs", COURSE, "--format", "csv"))
    sec = _section("coursekit legs")
    rows = _table_keys(sec)
    top_text = sec.split("Top level:")[1].split("\n\n")[0]
    top = set(re.findall(r"`([a-z0-9_]+)`", top_text))
    assert set(data) == top
    assert set(data["checkpoints"][0]) == rows
    assert header == [k for k in data["checkpoints"][0] if k != "services"] + [
        "services",
        "schematic",
    ]


def _subsections(text: str) -> dict[str, str]:
    """The ``### `` sub-sections of ``text`` by JSON path: each backquoted path of a heading
    (``Top level`` is the path ``""``) maps to the sub-section's text."""
    out = {}
    for part in re.split(r"^### ", text, flags=re.M)[1:]:
        head = part.splitlines()[0]
        paths = [""] if head.strip() == "Top level" else re.findall(r"`([^`]+)`", head)
        for path in paths:
            out[path] = part
    return out


def _keys_by_path(obj, path: str = "", acc: dict | None = None) -> dict[str, set[str]]:
    """The keys written in every object of ``obj`` by JSON path (``races[].checkpoints[]``)."""
    acc = {} if acc is None else acc
    if isinstance(obj, dict):
        acc.setdefault(path, set()).update(obj)
        for k, v in obj.items():
            _keys_by_path(v, f"{path}.{k}" if path else k, acc)
    elif isinstance(obj, list):
        for v in obj:
            _keys_by_path(v, path + "[]", acc)
    return acc


SIMULATED_ONLY = "with `--simulate` only"


@pytest.fixture(scope="module")
def event_out(tmp_path_factory):
    """``coursekit event --format json``: Atlas Quest (a combined ranking, ``[runners]``)
    without a simulation, the HAUT event simulated, and a race with a fixed barrier simulated
    (``fixed_barriers`` is empty on the bundled courses, which have none)."""
    folder = tmp_path_factory.mktemp("fixed")
    src = (ROOT / COURSE).read_text(encoding="utf-8")
    src = src.replace('gpx = "haut-42.gpx"', f"gpx = {json.dumps(str(ROOT / GPX))}", 1)
    src = src.replace('name = "Tizi Oussem"\n', 'name = "Tizi Oussem"\ncutoff = "4h"\n', 1)
    assert 'cutoff = "4h"' in src
    (folder / "fixed.toml").write_text(src, encoding="utf-8")
    sim = ["--format", "json", "--simulate", "50", "--repetitions", "3", "--seed", "1"]
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        plain = json.loads(_run("event", "courses/atlas-quest", "--format", "json"))
        simulated = [
            json.loads(_run("event", "courses/haut", *sim)),
            json.loads(_run("event", str(folder / "fixed.toml"), *sim)),
        ]
    return plain, simulated


def test_event_json_keys_are_the_documented_ones(event_out):
    """Every object of the event JSON has the keys its table in docs/outputs.md lists, no
    more, no fewer (the keys marked "with `--simulate` only" absent without a simulation),
    and every documented object is written."""
    subs = _subsections(_section("coursekit event").split("### CSV")[0])
    doc = {path: _table_keys(text) for path, text in subs.items()}
    only_sim = {
        path: {
            k
            for line in text.splitlines()
            if line.startswith("| `") and SIMULATED_ONLY in line
            for k in re.findall(r"`([a-z0-9_]+)`", line.split("|")[1])
        }
        for path, text in subs.items()
    }
    plain, simulated = event_out
    assert plain["combined"] and all(d["simulation"] for d in simulated)
    assert plain["simulation"] is None  # [runners] alone does not simulate
    assert simulated[1]["simulation"]["races"][0]["fixed_barriers"]
    seen = set()
    for data, sim in [(plain, False), *((d, True) for d in simulated)]:
        for path, keys in _keys_by_path(data).items():
            assert path in doc, f"docs/outputs.md: no '### `{path}`' table for event JSON"
            want = doc[path] if sim else doc[path] - only_sim[path]
            assert keys - want == set(), f"{path}: written but not documented"
            assert want - keys == set(), f"{path}: documented but not written"
            seen.add(path)
    assert set(doc) - seen == set(), "documented objects the event JSON does not write"


def test_event_csv_columns_are_the_documented_ones(tmp_path):
    sec = _section("coursekit event").split("### CSV")[1]
    doc = {w for span in re.findall(r"`([^`]+)`", sec) for w in re.findall(r"[a-z0-9_]+", span)}
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        out = tmp_path / "ev.csv"
        _run("event", "courses/haut", "--format", "csv", "-o", str(out), "--simulate", "50")
    header = _csv_header(out.read_text(encoding="utf-8"))
    occupancy = _csv_header((tmp_path / "ev-occupancy.csv").read_text(encoding="utf-8"))
    assert set(header) - doc == set()
    assert set(occupancy) - doc == set()


def _examples(name: str) -> list[list[str]]:
    res = CliRunner().invoke(cli, [name, "--help"])
    text = res.output.split("Example:")[1]
    lines = []
    for line in text.splitlines()[1:]:
        if not line.strip():
            break
        lines.append(shlex.split(line.strip()))
    return lines


OUTPUT_OPTIONS = {"-o", "--output", "--plot"}
USERS_OWN = {"--times", "--params"}  # past split times: none is bundled


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_help_examples_name_files_of_the_repository(name):
    """An example's course, event, places or GPX input exists from the repository root, so
    that it runs as written there (an example with split times, ``--times`` or ``--params``,
    is the user's own race: none is bundled)."""
    examples = [w for w in _examples(name) if not USERS_OWN & set(w)]
    assert examples or name in ("backtest", "calibrate")
    for words in examples:
        for before, word in zip(["", *words[:-1]], words, strict=True):
            if before in OUTPUT_OPTIONS or word.startswith("-"):
                continue
            if word.endswith((".toml", ".gpx")) or word.startswith("courses"):
                assert (ROOT / word).exists(), f"coursekit {name} -h: {' '.join(words)}"
