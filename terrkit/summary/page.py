"""The executive summary as one HTML page (``index.html``), answer first.

Order, for a reader who never opens a notebook: the recommendation in three sentences and five figures
(above the fold at 1280 x 800), the maps before and after, the plans of the trade-off front, the
decisions still needed, the largest accounts that change rep, then every notebook and file of the run
with what it is for. The page has no script and no external resource: it opens from a file share, and
Chromium prints it to ``summary.pdf`` as it is.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from terrkit import __version__
from terrkit.summary import fmt
from terrkit.summary.catalog import describe
from terrkit.summary.figures import Flag, Headline, MoveRow, PlanRow, measure_name


@dataclass
class NotebookLink:
    """A notebook of the run: its stem, title, run time and the files it wrote."""

    stem: str
    title: str = ""
    seconds: float | None = None
    html: str | None = None
    files: list[str] = field(default_factory=list)


@dataclass
class Page:
    """Everything the page shows; built by :func:`terrkit.summary.build.build_summary`.

    Attributes
    ----------
    run_name : str
        The run folder's name.
    headline : Headline or None
        None when the run has no realignment.
    missing : list of str
        Realignment files the run lacks (why there is no recommendation).
    maps : tuple of str or None
        Paths (relative to the page) of the before and after maps.
    maps_note : str
        Why the maps are missing, when they are.
    plans, flags, moves
        :func:`~terrkit.summary.figures.front_rows`, :func:`~terrkit.summary.figures.decision_flags`,
        :func:`~terrkit.summary.figures.largest_moves`.
    explanation : str
        Notebook 60's paragraph (Markdown bold only).
    notebooks : list of NotebookLink
    other_files : list of str
        Files of the run that no notebook is known to have written.
    pdf : str or None
        The PDF copy's path when there is one.
    started : str
        When the run started.
    """

    run_name: str
    headline: Headline | None = None
    missing: list[str] = field(default_factory=list)
    maps: tuple[str, str] | None = None
    maps_note: str = ""
    plans: list[PlanRow] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    moves: list[MoveRow] = field(default_factory=list)
    explanation: str = ""
    notebooks: list[NotebookLink] = field(default_factory=list)
    other_files: list[str] = field(default_factory=list)
    pdf: str | None = None
    started: str = ""


_CSS = """
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
 color:#1d2330;background:#fff;font-size:14px;line-height:1.45}
header{background:#1f3a5f;color:#fff;padding:12px 28px}
header h1{margin:0;font-size:21px;font-weight:600}
header p{margin:2px 0 0;font-size:12.5px;color:#c9d6e8}
main{max-width:1220px;margin:0 auto;padding:10px 28px 40px}
h2{font-size:17px;margin:22px 0 8px;color:#1f3a5f;border-bottom:1px solid #dfe5ee;padding-bottom:3px}
.answer{font-size:16px;line-height:1.5;margin:12px 0 12px;padding:10px 16px;border-left:5px solid #2b7bba;
 background:#f3f7fc}
.answer p{margin:0 0 4px}
.answer.none{border-left-color:#b26b00;background:#fff8e1}
.tiles{display:grid;grid-template-columns:repeat(5,1fr);gap:10px;margin:0 0 6px}
.tile{border:1px solid #dfe5ee;border-radius:6px;padding:8px 12px}
.tile .label{font-size:11.5px;text-transform:uppercase;letter-spacing:.04em;color:#5a6575}
.tile .value{font-size:22px;font-weight:650;margin:2px 0 1px;white-space:nowrap}
.tile .sub{font-size:12px;color:#5a6575}
.maps{display:grid;grid-template-columns:1fr 1fr;gap:12px;margin-top:8px}
.maps figure{margin:0}
.maps img{width:100%;height:auto;display:block;border:1px solid #eef1f5}
.maps figcaption{font-size:12px;color:#5a6575}
table{border-collapse:collapse;font-size:13px;margin:4px 0}
table.wide{width:100%}
td.plan{white-space:nowrap}
td.note{min-width:9em;max-width:22em}
th,td{padding:4px 10px;border-bottom:1px solid #e6eaf0;text-align:left;vertical-align:top}
th{background:#f5f7fa;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.num{white-space:nowrap}
tr.recommended td{background:#fff4d6;font-weight:600}
.badge{display:inline-block;white-space:nowrap;background:#b26b00;color:#fff;border-radius:3px;
 padding:0 5px;font-size:11px;margin-left:6px;font-weight:600}
.flags{display:grid;grid-template-columns:1fr 1fr;gap:10px}
.flag{border:1px solid #f0d9a8;background:#fffaf0;border-radius:6px;padding:8px 12px}
.flag.ok{border-color:#cfe6d0;background:#f4fbf4}
.flag h3{font-size:14px;margin:0 0 3px}
.flag p{margin:0 0 3px;font-size:13px}
.flag ul{margin:2px 0 3px 18px;padding:0;font-size:12.5px}
.flag .src{font-size:12px;color:#5a6575}
.why{font-size:13.5px;color:#2c3442;max-width:62em}
.files td:first-child{white-space:nowrap}
.muted{color:#5a6575;font-size:12.5px}
footer{margin-top:28px;font-size:12px;color:#5a6575}
a{color:#1d5fa8}
@page{size:letter portrait;margin:11mm 10mm}
@media print{
 body{font-size:11px;-webkit-print-color-adjust:exact;print-color-adjust:exact}
 main{max-width:none;padding:4px 0 0}
 header{padding:8px 12px}
 header h1{font-size:18px}
 .answer{font-size:13px;padding:6px 12px;margin:8px 0}
 .tiles{gap:6px}
 .tile{padding:5px 8px}
 .tile .label{font-size:9.5px}
 .tile .value{font-size:15px}
 .tile .sub{font-size:10px}
 table{font-size:10.5px}
 th,td{padding:3px 6px}
 h2{font-size:14px;margin:14px 0 6px;break-after:avoid}
 h3{break-after:avoid}
 .flag{padding:6px 9px}
 .flag p,.flag ul{font-size:10.5px}
 .why{font-size:11px}
 .maps,.flag,tr,.tiles,figure{break-inside:avoid}
}
"""


def _table(header: str, rows: str, css: str = "") -> str:
    """A table whose header row repeats on every printed page."""
    cls = f' class="{css}"' if css else ""
    return f"<table{cls}><thead><tr>{header}</tr></thead><tbody>{rows}</tbody></table>"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _md(text: str) -> str:
    """Escape, then render the Markdown bold and code that the notebook's paragraph uses."""
    out = _e(text)
    out = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", out)
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", out)


def _change(before: float, after: float) -> str:
    if not before or before != before or after != after:
        return ""
    rel = after / before - 1
    return f" ({'+' if rel >= 0 else ''}{rel:.0%})"


def recommendation_sentences(head: Headline) -> list[str]:
    """The answer in three sentences (HTML): what we recommend, what it costs, how far reps drive."""
    first = head.measures[0] if head.measures else ""
    rest = head.measures[1:]
    balance = (
        f"the largest deviation of a territory from the mean goes from "
        f"<b>{fmt.percent(head.balance_today.get(first), 0)}</b> to "
        f"<b>{fmt.percent(head.balance_plan.get(first))}</b> on {_e(measure_name(first))}"
    )
    for m in rest:
        before, after = fmt.percent(head.balance_today.get(m), 0), fmt.percent(head.balance_plan.get(m))
        balance += f" and from {before} to {after} on {_e(measure_name(m))}"
    target = fmt.tolerance(head.target)
    if head.plan == "current":
        return [
            f"Today's {head.territories:,} territories already meet the {target} balance target: "
            "we recommend no realignment."
        ]
    if head.meets_target:
        one = (
            f"We recommend <b>{_e(head.plan_label)}</b>: {head.territories:,} territories, each kept "
            f"around its rep's home and within the {target} balance target; {balance}."
        )
    else:
        one = (
            f"No plan reached the {target} balance target, so we recommend the best balanced plan found, "
            f"<b>{_e(head.plan_label)}</b>: {head.territories:,} territories around their reps' homes; "
            f"{balance}."
        )
    period = f" in {_e(head.period)}" if head.period else ""
    two = (
        f"It costs <b>{fmt.money(head.revenue_moved)}</b> of revenue changing rep "
        f"({fmt.percent(head.revenue_moved_share)} of {fmt.money(head.revenue)}{period}; "
        f"{fmt.count(head.accounts_moved)} accounts), while <b>{fmt.count(head.customers_kept)} of "
        f"{fmt.count(head.customers)}</b> customers ({fmt.percent(head.customers_kept_share)}) keep their "
        "rep."
    )
    three = (
        f"Call-weighted travel to the rep's home goes from {fmt.km(head.travel_today)} to "
        f"<b>{fmt.km(head.travel_plan)}</b>{_change(head.travel_today, head.travel_plan)}."
    )
    return [one, two, three]


def _tiles(head: Headline) -> str:
    first = head.measures[0] if head.measures else ""
    balance_sub = f"largest deviation from the mean, {_e(measure_name(first))}"
    if head.balance_target.get(first) is not None:
        balance_sub += f" (target {fmt.tolerance(head.balance_target[first])})"
    for m in head.measures[1:]:
        balance_sub += (
            f"<br>{_e(measure_name(m))}: {fmt.percent(head.balance_today.get(m), 0)} → "
            f"{fmt.percent(head.balance_plan.get(m))}"
        )
    tiles = [
        ("Territories", f"{head.territories:,}", f"{_e(head.plan)} plan, each around its rep's home"),
        (
            "Balance",
            f"{fmt.percent(head.balance_today.get(first), 0)} → {fmt.percent(head.balance_plan.get(first))}",
            balance_sub,
        ),
        (
            "Revenue changing rep",
            fmt.money(head.revenue_moved),
            f"{fmt.percent(head.revenue_moved_share)} of revenue; {fmt.count(head.accounts_moved)} accounts",
        ),
        (
            "Travel",
            f"{fmt.count(head.travel_today)} → {fmt.km(head.travel_plan)}",
            f"call-weighted mean distance to the rep's home{_change(head.travel_today, head.travel_plan)}",
        ),
        (
            "Customers keeping their rep",
            f"{fmt.count(head.customers_kept)} of {fmt.count(head.customers)}",
            f"{fmt.percent(head.customers_kept_share)} of customers",
        ),
    ]
    return (
        '<div class="tiles">'
        + "".join(
            f'<div class="tile"><div class="label">{label}</div><div class="value">{value}</div>'
            f'<div class="sub">{sub}</div></div>'
            for label, value, sub in tiles
        )
        + "</div>"
    )


def _answer(page: Page) -> str:
    if page.headline is None:
        missing = ", ".join(f"<code>{_e(m)}</code>" for m in page.missing) or "its files"
        return (
            '<div class="answer none"><p><b>This run has no realignment recommendation.</b> Notebook '
            f"60 (realignment) did not write its deliverables: {missing} "
            f"{'are' if len(page.missing) != 1 else 'is'} missing. The notebooks and files the run wrote are "
            "listed below.</p></div>"
        )
    sentences = "".join(f"<p>{s}</p>" for s in recommendation_sentences(page.headline))
    return f'<div class="answer">{sentences}</div>' + _tiles(page.headline)


def _maps(page: Page) -> str:
    if page.maps is None:
        return f'<p class="muted">{_e(page.maps_note)}</p>' if page.maps_note else ""
    today, proposal = page.maps
    return (
        '<div class="maps">'
        f'<figure><img src="{_e(today)}" alt="Map of today\'s territories">'
        "<figcaption>Today's territories; red dots are the reps' homes.</figcaption></figure>"
        f'<figure><img src="{_e(proposal)}" alt="Map of the proposed territories">'
        "<figcaption>The proposal: same colour, same rep; hatched units change rep.</figcaption></figure>"
        "</div>"
    )


def _plans(page: Page) -> str:
    if not page.plans:
        return ""
    measures = list(page.plans[0].balance)
    head = "".join(f'<th class="num">Balance: {_e(measure_name(m))}</th>' for m in measures)
    rows = []
    for p in page.plans:
        badge = '<span class="badge">★ recommended</span>' if p.recommended else ""
        cells = "".join(f'<td class="num">{fmt.percent(p.balance[m])}</td>' for m in measures)
        kept = (
            f"{fmt.count(p.customers_kept)} ({fmt.percent(p.customers_kept / p.customers)})"
            if p.customers and p.customers == p.customers and p.customers_kept == p.customers_kept
            else fmt.MISSING
        )
        dominated = not p.on_front and not p.kept_from
        note = p.note + ("; another plan is better on every figure" if dominated else "")
        figures = (fmt.money(p.revenue_moved), fmt.percent(p.revenue_moved_share), fmt.km(p.travel_km), kept)
        numbers = "".join(f'<td class="num">{v}</td>' for v in figures)
        rows.append(
            f'<tr class="{"recommended" if p.recommended else ""}"><td class="plan">{_e(p.label)}{badge}</td>'
            f'{cells}{numbers}<td class="note">{_e(note)}</td></tr>'
        )
    return (
        "<h2>The options: one least-disruption plan per balance tolerance</h2>"
        '<p class="muted">Balance: the largest deviation of a territory from the mean. Each plan moves the '
        "least revenue its tolerance allows; a wider tolerance moves less but leaves territories less even. "
        'All figures from <a href="realignment_sweep.csv">realignment_sweep.csv</a>.</p>'
        + _table(
            f"<th>Plan</th>{head}"
            '<th class="num">Revenue changing rep</th><th class="num">Share</th><th class="num">Travel</th>'
            '<th class="num">Customers keeping their rep</th><th>Note</th>',
            "".join(rows),
            "wide",
        )
    )


def _flag(flag: Flag) -> str:
    items = "".join(f"<li>{_e(i)}</li>" for i in flag.items)
    ok = " ok" if flag.ok else ""
    src = (
        f'<div class="src">All of them: <a href="{_e(flag.source)}">{_e(flag.source)}</a></div>'
        if flag.source
        else ""
    )
    return (
        f'<div class="flag{ok}"><h3>{_e(flag.title)}</h3><p>{_e(flag.detail)}</p>'
        f"{'<ul>' + items + '</ul>' if items else ''}{src}</div>"
    )


def _flags(page: Page) -> str:
    if page.headline is None:
        return ""
    if not page.flags:
        return "<h2>Decisions needed</h2><p>None: every check passed.</p>"
    return '<h2>Decisions needed</h2><div class="flags">' + "".join(_flag(f) for f in page.flags) + "</div>"


def _moves(page: Page) -> str:
    if not page.moves:
        return ""
    named = any(m.name for m in page.moves)
    rows = "".join(
        f"<tr><td>{_e(m.account_id)}</td>"
        + (f"<td>{_e(m.name)}</td><td>{_e(m.place)}</td>" if named else "")
        + f'<td>{_e(m.from_rep)}</td><td>{_e(m.to_rep)}</td><td class="num">{fmt.money(m.revenue)}</td></tr>'
        for m in page.moves
    )
    names = "<th>Name</th><th>Place</th>" if named else ""
    return (
        f"<h2>The {len(page.moves)} largest accounts that change rep</h2>"
        '<p class="muted">Hand these over with care (a joint visit, an introduction by the previous rep). '
        'Every account that changes rep: <a href="changes.csv">changes.csv</a>.</p>'
        + _table(f'<th>Account</th>{names}<th>From</th><th>To</th><th class="num">Revenue</th>', rows)
    )


def _why(page: Page) -> str:
    if not page.explanation:
        return ""
    return f'<h2>Why this plan</h2><p class="why">{_md(page.explanation)}</p>'


def _file_rows(paths: Sequence[str]) -> str:
    rows = []
    for path in paths:
        info = describe(path)
        rows.append(
            f'<tr><td><a href="{_e(path)}">{_e(path)}</a></td><td>{_e(info.what)}</td>'
            f"<td>{_e(info.who)}</td></tr>"
        )
    return "".join(rows)


def _files(page: Page) -> str:
    parts = ["<h2>Notebooks and files of this run</h2>"]
    if page.pdf:
        parts.append(f'<p>This page as a PDF: <a href="{_e(page.pdf)}">{_e(page.pdf)}</a>.</p>')
    if page.notebooks:
        rows = "".join(
            "<tr><td>"
            + (f'<a href="{_e(nb.html)}">{_e(nb.stem)}</a>' if nb.html else _e(nb.stem))
            + f"</td><td>{_e(nb.title)}</td>"
            + f'<td class="num">{"" if nb.seconds is None else f"{nb.seconds:,.0f} s"}</td>'
            + f'<td><a href="{_e(nb.stem)}.ipynb">notebook</a></td></tr>'
            for nb in page.notebooks
        )
        parts.append(
            '<p class="muted">Each notebook\'s page shows its results and explains each step, without code; '
            "the executed notebook opens in JupyterLab.</p>"
            + _table('<th>Page</th><th>What it covers</th><th class="num">Run time</th><th></th>', rows)
        )
    header = "<th>File</th><th>What it is</th><th>Who uses it</th>"
    for nb in page.notebooks:
        if nb.files:
            table = _table(header, _file_rows(nb.files), "files")
            parts.append(f'<h3 class="muted">Written by {_e(nb.stem)}</h3>{table}')
    if page.other_files:
        table = _table(header, _file_rows(page.other_files), "files")
        parts.append(f'<h3 class="muted">Other files</h3>{table}')
    return "".join(parts)


def render(page: Page) -> str:
    """The summary page as a complete HTML document."""
    sub = f"Run {_e(page.run_name)}"
    if page.started:
        sub += f", started {_e(page.started.replace('T', ' '))}"
    if page.headline is not None and page.headline.period:
        sub += f"; revenue at stake: sales in {_e(page.headline.period)}"
    title = "Territory realignment: executive summary"
    body = (
        f"<header><h1>{title}</h1><p>{sub}</p></header><main>"
        + _answer(page)
        + _maps(page)
        + _plans(page)
        + _flags(page)
        + _moves(page)
        + _why(page)
        + _files(page)
        + f"<footer>Made by terrkit {_e(__version__)} from the files of this run folder.</footer></main>"
    )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{title}: {_e(page.run_name)}</title><style>{_CSS}</style></head><body>{body}</body></html>\n"
    )
