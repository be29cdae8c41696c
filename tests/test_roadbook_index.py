"""The roadbook index's staffing table (h117 review, finding 9)."""

from __future__ import annotations

import re
from pathlib import Path

from coursekit.event import load_event_plan
from coursekit.roadbook import build_roadbook

ROOT = Path(__file__).resolve().parents[1]


def test_index_staffing_table_lists_races_in_event_order_with_each_windows_peak(tmp_path):
    """The races column was sorted as text ("HAUT 10, HAUT 120, HAUT 21"); no peak load."""
    event = ROOT / "courses" / "haut" / "event.toml"
    build_roadbook(event, tmp_path / "rb", offline=True)
    (index,) = [p for p in (tmp_path / "rb").rglob("index.html")]
    html = index.read_text(encoding="utf-8")
    table = html[html.index('<table id="stations">') :]
    table = table[: table.index("</table>")]
    assert "<th>peak 60 min</th>" in table
    order = [load_event_plan(event).races[i].name for i in range(5)]
    assert order[:3] == ["HAUT 120", "HAUT 80", "HAUT 42"]
    rows = re.findall(r'<tr><td class="l">([^<]*)</td><td class="l">([^<]*)</td>(.*?)</tr>', table)
    assert rows
    for _, races, _rest in rows:
        names = races.split(", ")
        assert names == sorted(names, key=order.index), races
    tizi = [r for r in rows if r[0] == "Tizi Oussem"]
    assert tizi and tizi[0][1] == "HAUT 120, HAUT 80, HAUT 42"
    assert re.search(r"<td>(\d+)</td>$", tizi[0][2])  # its window's peak
