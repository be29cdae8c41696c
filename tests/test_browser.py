"""Roadbook pages in headless Chromium (docs: /work/shared/BROWSER.md).

Skipped when Debian's ``chromium`` or Python's playwright is missing. There is no
network: (a) the default page gets Leaflet from the xstatic-leaflet files in place of
the CDN, every other request is aborted; (b) the offline page gets nothing but itself.
``COURSEKIT_SCREENSHOT=1`` also writes docs/roadbook.png (HAUT 120, offline).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from test_roadbook import EVIL, PAYLOADS, evil_course, loop_course, make_course, table_rows

from coursekit.course import load_course
from coursekit.roadbook import KEEP_TABLE_ROWS, build_roadbook, race_page

pytestmark = pytest.mark.browser

ROOT = Path(__file__).parent.parent
CHROMIUM = shutil.which("chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover
    sync_playwright = None

if CHROMIUM is None:
    pytest.skip("no `chromium` on PATH (apt-get install chromium)", allow_module_level=True)
if sync_playwright is None:
    pytest.skip("Python playwright is not installed", allow_module_level=True)


TIMEOUT_MS = 30_000
"""Playwright's default timeout for every wait and action of a page [ms]. 8000 ms timed
out once waiting for a popup with two other pytest runs on the 2 cores (h93): a wait
that succeeds returns as soon as it can, so a longer bound costs nothing when all is
well; what the tests assert is unchanged."""


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _leaflet_files():
    from xstatic.pkg import leaflet

    base = Path(leaflet.BASE_DIR)
    return {
        "leaflet.js": ((base / "leaflet.js").read_bytes(), "application/javascript"),
        "leaflet.css": ((base / "leaflet.css").read_bytes(), "text/css"),
    }


def open_page(browser, path: Path, *, serve_leaflet: bool):
    """Open ``path``; return (page, errors, dialogs, requests that left the file)."""
    files = _leaflet_files()
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.set_default_timeout(TIMEOUT_MS)
    errors, dialogs, outside = [], [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    def route(r):
        url = r.request.url
        if url.startswith("file:"):
            return r.continue_()
        outside.append(url)
        name = url.rsplit("/", 1)[-1]
        if serve_leaflet and "leaflet@1.9.3/dist/" in url and name in files:
            body, ctype = files[name]
            return r.fulfill(status=200, body=body, content_type=ctype)
        return r.abort()

    page.route("**/*", route)
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_selector("path.leaflet-interactive", state="attached")
    return page, errors, dialogs, outside


def open_offline_page(browser, toml: Path, path: Path):
    """Write the offline race page of the course file ``toml`` to ``path`` and open it
    (Leaflet inlined, nothing served): (page, errors, dialogs)."""
    path.write_text(race_page(load_course(toml), offline=True).html, encoding="utf-8")
    page, errors, dialogs, _outside = open_page(browser, path, serve_leaflet=False)
    return page, errors, dialogs


def wait_still(page, markers, *, every_ms: int = 400) -> None:
    """Wait until ``markers`` stay where they are for ``every_ms``: the map's view after
    load is final (a zoom or pan animation moves them, and a click in that time is lost:
    no popup opens). On a loaded machine the animation lasts longer than on an idle one."""
    before = None
    for _ in range(TIMEOUT_MS // every_ms):
        now = [markers.nth(i).bounding_box() for i in range(markers.count())]
        if now == before:
            return
        before = now
        page.wait_for_timeout(every_ms)
    raise AssertionError(f"the markers still move after {TIMEOUT_MS} ms")


def check_map(page, html: str):
    """Course line drawn, one checkpoint marker per checkpoint row, popups show barriers."""
    assert page.locator("path.leaflet-interactive").count() >= 1
    rows = table_rows(html, "legs")
    cps = rows[1:-1]
    markers = page.locator(".leaflet-marker-icon.ck-cp")
    assert markers.count() == len(cps) >= 1
    assert page.locator(".leaflet-marker-icon.ck-start").count() == 1
    assert page.locator(".leaflet-marker-icon.ck-finish").count() == 1
    # the map is at its final view once loaded: a zoom animation after load moved the
    # markers for ~250 ms and a click in that time was lost (CI failed on it)
    before = [markers.nth(i).bounding_box() for i in range(markers.count())]
    page.wait_for_timeout(400)
    assert [markers.nth(i).bounding_box() for i in range(markers.count())] == before
    # click one checkpoint marker with a barrier; its popup shows the table's barrier time
    k = next(i for i, r in enumerate(cps) if re.fullmatch(r"\w{3} \d\d:\d\d", r[6]))
    markers.nth(k).click()
    content = page.locator(".leaflet-popup-content")
    content.wait_for()
    text = content.inner_text()
    name = cps[k][0].removesuffix(" (fixed)")
    assert name in text
    assert cps[k][6] in text  # e.g. "Sat 06:00"


@pytest.fixture(scope="module")
def syn_pages(tmp_path_factory):
    d = tmp_path_factory.mktemp("br")
    course = load_course(make_course(d / "src", schematic=False))
    paths = {}
    for offline in (False, True):
        p = d / f"page-{offline}.html"
        p.write_text(race_page(course, offline=offline).html, encoding="utf-8")
        paths[offline] = p
    return paths


def test_default_page_with_leaflet_served_locally(browser, syn_pages):
    path = syn_pages[False]
    page, errors, dialogs, outside = open_page(browser, path, serve_leaflet=True)
    try:
        assert errors == [] and dialogs == []
        assert any(u.endswith("leaflet.js") for u in outside)
        check_map(page, path.read_text(encoding="utf-8"))
    finally:
        page.close()


def test_default_page_without_network_degrades(browser, syn_pages):
    """No Leaflet at all: a message in the map box, no JavaScript error."""
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
    try:
        page.goto(syn_pages[False].as_uri(), wait_until="load")
        assert errors == []
        assert "could not load" in page.locator(".ck-nomap").inner_text()
        assert page.locator("#legs tbody tr").count() == 5
    finally:
        page.close()


def test_offline_page_with_every_request_aborted(browser, syn_pages):
    path = syn_pages[True]
    page, errors, dialogs, outside = open_page(browser, path, serve_leaflet=False)
    try:
        assert errors == [] and dialogs == []
        assert all("tile" in u or "openstreetmap" in u or "opentopomap" in u for u in outside)
        check_map(page, path.read_text(encoding="utf-8"))
    finally:
        page.close()


def test_injection_payloads_inert(browser, tmp_path, syn_pages):
    benign_scripts = syn_pages[True].read_text(encoding="utf-8").count("<script")
    page, errors, dialogs = open_offline_page(
        browser, evil_course(tmp_path / "src"), tmp_path / "evil.html"
    )
    try:
        assert errors == [] and dialogs == []
        assert page.locator("img[src='x'], img[onerror]").count() == 0
        # as many <script> elements as on a benign page: none injected
        assert page.locator("script").count() == benign_scripts
        # the texts are shown as written
        assert f"Race {EVIL}" in page.title()
        assert PAYLOADS[0] in page.locator("h1").inner_text()
        page.locator(".leaflet-marker-icon.ck-cp").first.click()
        pop = page.locator(".leaflet-popup-content")
        pop.wait_for()
        assert PAYLOADS[2] in pop.inner_text()
        assert (
            page.locator(".leaflet-popup-content img, .leaflet-popup-content script").count() == 0
        )
        page.wait_for_timeout(200)
        assert dialogs == []
    finally:
        page.close()


def _overlap(a, b) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def test_loop_every_passage_reachable_and_controls_hide_no_marker(browser, tmp_path):
    """A figure-of-eight through HQ: one click on HQ shows the start, the km-10 station with
    its drop bag and the finish; no marker lies under a map control.

    Before, the finish flag covered the km-10 station (no way to open its popup) and the
    expanded layer switcher covered a corner checkpoint.
    """
    page, errors, dialogs = open_offline_page(
        browser, loop_course(tmp_path / "src"), tmp_path / "fig8.html"
    )
    try:
        assert errors == [] and dialogs == []
        markers = page.locator(".leaflet-marker-icon")
        assert markers.count() == 3  # HQ, North corner, South corner
        assert page.locator(".leaflet-control-layers-expanded").count() == 0
        controls = page.locator(".leaflet-control")
        boxes = [controls.nth(i).bounding_box() for i in range(controls.count())]
        for i in range(markers.count()):
            m = markers.nth(i).bounding_box()
            assert not any(_overlap(m, c) for c in boxes if c), markers.nth(i).get_attribute(
                "title"
            )
        page.locator(".leaflet-marker-icon.ck-place").click()
        pop = page.locator(".leaflet-popup-content")
        pop.wait_for()
        text = pop.inner_text()
        for want in ("0.0", "10.0", "20.0", "drop bag", "Sun 09:00", "Sun 11:00"):
            assert want in text, want
        assert text.count("HQ") == 1 and "Start" in text and "Finish" in text
    finally:
        page.close()


# ---------------------------------------------------------------- print (A4)

A4_WIDTH_PX = 704
"""A4 portrait's printable width at 96 px/in with the 12 mm margins of ``@page``:
(210 - 2 x 12) mm = 186 mm = 703 px."""

CLOCK = r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d\d:\d\d$"


@pytest.fixture(scope="module")
def bundled_book(tmp_path_factory):
    out = tmp_path_factory.mktemp("book")
    build_roadbook(ROOT / "courses", out)
    return sorted(out.rglob("*.html"))


def _print_page(browser, width=A4_WIDTH_PX):
    page = browser.new_page(viewport={"width": width, "height": 1040})
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
    return page


def test_print_tables_fit_a4_width(browser, bundled_book):
    """On paper every table fits A4's printable width and no clock time wraps.

    Before, the checkpoints table was 723-763 px wide for 704 px of paper (the "night"
    column ran off the sheet) and every time cell wrapped to "Sat" over "04:00".
    """
    page = _print_page(browser)
    page.emulate_media(media="print")
    measure = """() => [...document.querySelectorAll('table')].map(t => {
        const times = [...t.querySelectorAll('td')]
            .filter(td => new RegExp(%r).test(td.textContent.trim()));
        const wrapped = times.filter(td => {
            const r = document.createRange(); r.selectNodeContents(td);
            return r.getClientRects().length > 1; }).length;
        return [t.id, t.scrollWidth, t.parentElement.clientWidth, times.length, wrapped]; })"""
    try:
        assert len(bundled_book) == 18
        for path in bundled_book:
            page.goto(path.as_uri(), wait_until="load")
            for tid, width, room, times, wrapped in page.evaluate(measure % CLOCK):
                assert width <= room <= A4_WIDTH_PX, (path.name, tid, width, room)
                assert wrapped == 0, (path.name, tid, wrapped, times)
            assert page.evaluate("document.documentElement.scrollWidth") <= A4_WIDTH_PX
    finally:
        page.close()


PHONE_WIDTH_PX = 390
"""A phone's viewport width [CSS px] (iPhone 12-15)."""


def test_phone_width_page_does_not_scroll_sideways_and_tables_scroll_in_place(
    browser, bundled_book
):
    """At a phone's width no page is wider than the screen: a wide table scrolls inside
    its own box (all of it still reachable), the rest of the page stays put.

    Before, the checkpoints table made every race page 806-838 px wide on a 390 px
    phone (the whole page, headings and text with it, scrolled sideways), and the event
    indexes' staffing tables 437-479 px.
    """
    page = browser.new_page(viewport={"width": PHONE_WIDTH_PX, "height": 800})
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
    measure = """() => [...document.querySelectorAll('table')].map(t => {
        let box = t.parentElement;
        const scrolls = getComputedStyle(box).overflowX;
        return [t.id, t.scrollWidth, box.clientWidth, box.scrollWidth, scrolls]; })"""
    try:
        assert len(bundled_book) == 18
        wide = 0
        for path in bundled_book:
            page.goto(path.as_uri(), wait_until="load")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE_WIDTH_PX, (path.parent.name, path.name, width)
            for tid, table_w, room, scroll_w, overflow in page.evaluate(measure):
                if table_w > room:  # wider than the screen: its box scrolls to all of it
                    wide += 1
                    assert overflow == "auto" and scroll_w >= table_w, (path.name, tid)
        assert wide >= 14  # every race page's checkpoints table at least
    finally:
        page.close()


WHITE, CLEAR = "rgb(255, 255, 255)", "rgba(0, 0, 0, 0)"

NAME_STAYS_JS = """() => {
  const t = document.querySelector('#legs'), box = t.parentElement;
  const head = [...t.tHead.rows[0].cells], barrier = head.find(c => c.textContent === 'barrier');
  const hit = (cell) => { const r = cell.getBoundingClientRect();
    return cell.contains(document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2)); };
  // the page scrolled down to a cell, not sideways (scrollIntoView would scroll the box too)
  const down = (c) => window.scrollTo(0, window.scrollY + c.getBoundingClientRect().top - 300);
  const look = (scroll) => { box.scrollLeft = scroll;
    return [...t.rows].map(row => { const c = row.cells[0]; down(c);
      const r = c.getBoundingClientRect();
      return [r.left, r.right, hit(c), getComputedStyle(c).backgroundColor,
              getComputedStyle(row.cells[1]).backgroundColor]; }); };
  const out = {room: box.clientWidth, width: t.scrollWidth};
  out.end = look(box.scrollWidth);
  // the barrier column just right of the checkpoint names: both in full view
  box.scrollLeft = 0;
  const gap = barrier.getBoundingClientRect().left - head[0].getBoundingClientRect().right;
  out.at_barrier = look(Math.floor(gap));
  down(barrier);
  const b = barrier.getBoundingClientRect();
  out.barrier = [b.left, b.right, hit(barrier), head[0].getBoundingClientRect().right];
  return out; }"""


def _race_pages(book) -> list:
    """The bundled roadbook's 14 race pages (its index left out)."""
    races = [p for p in book if p.name != "index.html"]
    assert len(races) == 14
    return races


def test_phone_checkpoint_names_stay_in_view_while_the_table_scrolls(browser, bundled_book):
    """On a phone the checkpoints table scrolls sideways in its box: the checkpoint column
    stays at the box's left edge, opaque over the cells scrolling under it (header and
    night rows with their own shading), and the barrier column can be shown next to it.

    Before, scrolling to the barrier column (from 359 px on a 390 px phone) took the
    checkpoint names off the screen: a runner saw "Sun 04:30" with no place to it.
    """
    page = browser.new_page(viewport={"width": PHONE_WIDTH_PX, "height": 800})
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
    try:
        for path in _race_pages(bundled_book):
            page.goto(path.as_uri(), wait_until="load")
            got = page.evaluate(NAME_STAYS_JS)
            assert got["width"] > got["room"], path.name  # it does scroll
            for where in ("end", "at_barrier"):
                for left, right, on_top, bg, next_bg in got[where]:
                    assert 0 <= left and right <= 0.4 * PHONE_WIDTH_PX, (path.name, where, left)
                    assert on_top, (path.name, where, left)  # not under the scrolled cells
                    # the row's own shading (the header's grey, a night row's tint)
                    assert bg == (WHITE if next_bg == CLEAR else next_bg), (path.name, where, bg)
            left, right, on_top, names_end = got["barrier"]
            assert names_end <= left and right <= PHONE_WIDTH_PX and on_top, (path.name, got)
    finally:
        page.close()


def test_print_keeps_night_row_shading_and_header_tint(browser, bundled_book):
    """Printing drops backgrounds by default (Chromium's PDF, the print dialog's
    "Background graphics" off): the night rows' tint and the table header's grey were lost
    on paper. Both are now printed as they are (``print-color-adjust: exact``)."""
    page = _print_page(browser)
    page.emulate_media(media="print")
    look = """() => [...document.querySelectorAll('tr.night td, thead th')].map(c => {
        const s = getComputedStyle(c);
        return [c.tagName, s.backgroundColor, s.printColorAdjust]; })"""
    try:
        path = next(p for p in bundled_book if p.name == "haut-120.html")
        page.goto(path.as_uri(), wait_until="load")
        cells = page.evaluate(look)
        assert {c[0] for c in cells} == {"TD", "TH"}  # HAUT 120 has night rows
        for tag, bg, adjust in cells:
            assert bg not in ("rgba(0, 0, 0, 0)", "transparent") and adjust == "exact", (
                tag,
                bg,
                adjust,
            )
    finally:
        page.close()


def _pdf_links(pdf: bytes) -> dict[str, int]:
    """``{link URI: page number}`` of a Chromium PDF (its objects are not compressed
    together, and a link's URI is a plain string): no PDF library needed."""
    objs = {int(m[1]): m[2] for m in re.finditer(rb"(\d+) 0 obj(.*?)endobj", pdf, re.S)}
    kids = []
    for body in objs.values():
        if re.search(rb"/Type\s*/Pages\b", body):
            kids += [
                int(x)
                for x in re.findall(rb"(\d+) 0 R", re.search(rb"/Kids\s*\[(.*?)\]", body, re.S)[1])
            ]
    pages = [k for k in kids if re.search(rb"/Type\s*/Page\b", objs[k])]
    out = {}
    for n, k in enumerate(pages, 1):
        annots = re.search(rb"/Annots\s*\[(.*?)\]", objs[k], re.S)
        for ref in re.findall(rb"(\d+) 0 R", annots[1]) if annots else []:
            uri = re.search(rb"/URI\s*\((.*?)\)", objs[int(ref)])
            if uri:
                out[uri[1].decode()] = n
    return out


MARK_JS = """() => {
  const link = (name) => { const a = document.createElement('a');
    a.href = 'https://mark.invalid/' + name; a.textContent = '.'; return a; };
  const h2 = [...document.querySelectorAll('h2')].find(e => e.textContent.trim() === 'Profile');
  h2.appendChild(link('heading'));
  const svg = document.querySelector('.profile svg');
  svg.parentElement.insertBefore(link('chart-top'), svg);
  svg.parentElement.appendChild(link('chart-end'));
  document.querySelectorAll('ul.cols li').forEach((li, i) => {
    li.prepend(link('li' + i + '-first')); li.append(link('li' + i + '-last')); });
}"""


def test_pdf_keeps_profile_heading_with_chart_and_bullets_whole(browser, bundled_book):
    """Chromium's A4 PDF of every race page: the "Profile" heading, the top and the foot of
    its chart are on one page, and no bullet of a two-column list spans two pages.

    Links marking those places are added to the page; their PDF annotations say on which
    page each is. Before, Amizmiz 20's chart began on page 2 and ended on page 3.
    """
    page = _print_page(browser)
    try:
        for path in _race_pages(bundled_book):
            page.goto(path.as_uri(), wait_until="load")
            page.evaluate(MARK_JS)
            links = _pdf_links(page.pdf(format="A4", prefer_css_page_size=True))
            at = {k.rsplit("/", 1)[-1]: v for k, v in links.items() if "mark.invalid" in k}
            assert at["heading"] == at["chart-top"] == at["chart-end"], (path.name, at)
            items = {k.rsplit("-", 1)[0] for k in at if k.startswith("li")}
            for li in items:
                assert at[f"{li}-first"] == at[f"{li}-last"], (path.name, li)
    finally:
        page.close()


TABLE_MARK_JS = """() => {
  const link = (name) => { const a = document.createElement('a');
    a.href = 'https://mark.invalid/' + name; a.textContent = '.'; return a; };
  document.querySelectorAll('h1, h2').forEach((h, i) => h.appendChild(link('head' + i)));
  [...document.querySelectorAll('h2')].find(e => e.textContent.startsWith('Checkpoints'))
    .appendChild(link('heading'));
  const rows = [...document.querySelectorAll('#legs tbody tr')];
  rows.forEach((r, i) => r.cells[0].appendChild(link('row' + i)));
  document.body.appendChild(link('end'));
  return rows.length;
}"""


def test_pdf_keeps_a_checkpoints_table_of_one_page_on_one_page(browser, bundled_book):
    """Chromium's A4 PDF of every race page: a checkpoints table that fits one page (at most
    :data:`~coursekit.roadbook.KEEP_TABLE_ROWS` rows) is on one page with its heading, and
    no page is left without a heading or a row of the table (no blank page before it).

    Before, HAUT 120's table was split 6 rows / 9 rows, HAUT 80's 6 / 5 and UTAT 105's 6 / 1
    (its finish alone on the next page).
    """
    page = _print_page(browser)
    try:
        for path in _race_pages(bundled_book):
            page.goto(path.as_uri(), wait_until="load")
            n = page.evaluate(TABLE_MARK_JS)
            assert 2 <= n <= KEEP_TABLE_ROWS, (path.name, n)
            links = _pdf_links(page.pdf(format="A4", prefer_css_page_size=True))
            at = {k.rsplit("/", 1)[-1]: v for k, v in links.items() if "mark.invalid" in k}
            table = {at["heading"]} | {at[f"row{i}"] for i in range(n)}
            assert len(table) == 1, (path.name, at)
            assert set(at.values()) == set(range(1, at["end"] + 1)), (path.name, at)
    finally:
        page.close()


CHART_MARK_JS = """() => {
  const link = (name) => { const a = document.createElement('a');
    a.href = 'https://mark.invalid/' + name; a.textContent = '.'; return a; };
  const h2 = [...document.querySelectorAll('h2')]
    .find(e => e.textContent.trim() === 'Aid stations: runners arriving per hour');
  if (!h2) return 0;
  h2.appendChild(link('heading'));
  const svgs = [...document.querySelectorAll('.profile svg')];
  svgs.forEach((svg, i) => {
    svg.parentElement.insertBefore(link('svg' + i + '-top'), svg);
    svg.parentElement.appendChild(link('svg' + i + '-end')); });
  return svgs.length;
}"""


def test_pdf_index_occupancy_chart_not_cut_across_pages(browser, bundled_book):
    """Chromium's A4 PDF of every event index with an occupancy chart: the chart's heading
    is on the page of its first panel, and each chart SVG (with its time axis) is whole on
    one page.

    Before, HAUT's ten stations were one 17-inch SVG: page 2 held the heading and its note
    over a blank page, the chart began on page 3 and ended on page 4, Tinzert's title was
    on page 3 and its bars on page 4, and page 3's panels had no time labels.
    """
    page = _print_page(browser)
    try:
        indexes = [p for p in bundled_book if p.name == "index.html" and p.parent.name]
        charted = 0
        for path in indexes:
            page.goto(path.as_uri(), wait_until="load")
            n = page.evaluate(CHART_MARK_JS)
            if not n:
                continue
            charted += 1
            links = _pdf_links(page.pdf(format="A4", prefer_css_page_size=True))
            at = {k.rsplit("/", 1)[-1]: v for k, v in links.items() if "mark.invalid" in k}
            assert at["heading"] == at["svg0-top"], (path.parent.name, at)
            for i in range(n):
                assert at[f"svg{i}-top"] == at[f"svg{i}-end"], (path.parent.name, i, at)
        assert charted >= 2  # HAUT, Atlas Quest (Amizmiz too if its races share stations)
    finally:
        page.close()


@pytest.mark.skipif(
    not os.environ.get("COURSEKIT_SCREENSHOT"), reason="set COURSEKIT_SCREENSHOT=1 to rewrite it"
)
def test_screenshot_haut_120(browser, tmp_path):
    build_roadbook(ROOT / "courses" / "haut" / "haut-120.toml", tmp_path, offline=True)
    path = tmp_path / "haut-120.html"
    page, errors, _dialogs, _outside = open_page(browser, path, serve_leaflet=False)
    try:
        assert errors == []
        from PIL import Image

        shot = tmp_path / "shot.png"
        page.screenshot(path=str(shot), full_page=True)
        # a 128-colour palette keeps the README image small (< 400 kB)
        out = ROOT / "docs" / "roadbook.png"
        Image.open(shot).convert("RGB").quantize(colors=128).save(out, optimize=True)
        assert out.stat().st_size < 400_000
        check_map(page, path.read_text(encoding="utf-8"))
    finally:
        page.close()


def test_template_syntax_shown_as_written_and_race_layer_switchable(browser, tmp_path):
    """Names holding ``{{ 7*7 }}``, ``{#`` and ``{%`` show as written in the popups and in
    the layer switcher, where the race's layer can still be switched off and on (the course
    script, not folium, adds it there)."""
    from test_maps import TEMPLATE_NAMES, template_course

    page, errors, dialogs = open_offline_page(
        browser, template_course(tmp_path / "src"), tmp_path / "tpl.html"
    )
    try:
        assert errors == [] and dialogs == []
        overlays = page.locator(".leaflet-control-layers-overlays label")
        assert overlays.count() == 1
        assert overlays.first.text_content().strip() == "Trail {{ 7*7 }} __LEGEND__"
        markers = page.locator(".leaflet-marker-icon.ck-cp")
        assert markers.count() == len(TEMPLATE_NAMES)
        for k, name in enumerate(TEMPLATE_NAMES):
            # at the final view (an open popup pans the map too): a click during an
            # animation is lost and no popup opens
            wait_still(page, markers)
            markers.nth(k).click()
            pop = page.locator(".leaflet-popup-content")
            pop.wait_for()
            assert name in pop.inner_text()
            page.locator(".leaflet-popup-close-button").click()
        page.locator(".leaflet-control-layers").hover()
        box = page.locator(".leaflet-control-layers-overlays input")
        box.uncheck()
        assert page.locator(".leaflet-marker-icon.ck-cp").count() == 0
        box.check()
        assert page.locator(".leaflet-marker-icon.ck-cp").count() == len(TEMPLATE_NAMES)
        assert dialogs == []
    finally:
        page.close()


def test_course_across_the_antimeridian_opens_on_the_course(browser, tmp_path):
    """A course crossing 180 deg: the line is drawn across it and the first view fits the
    ~20 km course (it was the whole world: a line the long way round, from 179.92 to
    -179.92); every checkpoint marker is in the view."""
    from test_maps import _across_180

    course = _across_180(tmp_path, "taveuni")
    path = tmp_path / "taveuni.html"
    path.write_text(race_page(course, offline=True).html, encoding="utf-8")
    page, errors, _dialogs, _outside = open_page(browser, path, serve_leaflet=False)
    try:
        assert errors == []
        wait_still(page, page.locator(".leaflet-marker-icon"))
        scale = page.locator(".leaflet-control-scale-line").first.inner_text()
        value, unit = scale.split()
        assert unit == "m" or (unit == "km" and float(value) <= 10.0), scale
        view = page.locator(".leaflet-container").first.bounding_box()
        line = page.locator("path.leaflet-interactive").first.bounding_box()
        assert line["width"] > 0.3 * view["width"]  # the course, fitted: not a speck
        for i in range(page.locator(".leaflet-marker-icon").count()):
            b = page.locator(".leaflet-marker-icon").nth(i).bounding_box()
            assert view["x"] <= b["x"] and b["x"] + b["width"] <= view["x"] + view["width"]
    finally:
        page.close()
