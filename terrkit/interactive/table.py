"""The live balance table as HTML (shown in an ``ipywidgets.HTML``; rebuilt in about a millisecond).

Every row carries ``data-territory`` and every number cell ``data-col`` and ``data-value`` (the raw
number), so browser tests and scripts can read exact values from the page.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from terrkit.interactive.state import EditorState

_STYLE = """
<style>
.terrkit-balance-wrap {max-height: 560px; overflow: auto; font-size: 11.5px;}
.terrkit-balance {border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums;}
.terrkit-balance thead {position: sticky; top: 0; z-index: 1;}
.terrkit-balance th {background: #f5f5f5; text-align: right; padding: 2px 5px; border-bottom: 1px solid #999;
  white-space: nowrap;}
.terrkit-balance th.group {text-align: center; border-bottom: 1px solid #ccc;}
.terrkit-balance td {text-align: right; padding: 2px 5px; border-bottom: 1px solid #e5e5e5;
  white-space: nowrap;}
.terrkit-balance td.name, .terrkit-balance th.name {text-align: left;}
.terrkit-balance tr.changed td {background: #fff3bf;}
.terrkit-balance td.bad {color: #c92a2a; font-weight: 600;}
.terrkit-balance tr.total td {border-top: 2px solid #999; font-weight: 600; background: #fafafa;}
.terrkit-swatch {display: inline-block; width: 10px; height: 10px; margin-right: 4px; border: 1px solid #666;
  vertical-align: -1px;}
</style>
"""


def _num(value: float) -> str:
    if not np.isfinite(value):
        return "–"
    if abs(value) >= 1e6:
        return f"{value / 1e6:,.2f}M"
    if abs(value) >= 1e4:
        return f"{value / 1e3:,.1f}k"
    return f"{value:,.0f}"


def _pct(value: float, signed: bool = True) -> str:
    if not np.isfinite(value):
        return "–"
    return f"{value:+.1%}" if signed else f"{value:.1%}"


def _cell(text: str, col: str, value: float | int | str, cls: str = "") -> str:
    klass = f' class="{cls}"' if cls else ""
    return f'<td{klass} data-col="{col}" data-value="{value}">{text}</td>'


def balance_table_html(
    state: EditorState, colors: Mapping[str, str] | None = None, changed: Iterable[str] = (), version: int = 0
) -> str:
    """HTML table: per territory units, totals and deviations, contiguity, moved shares, locks.

    Parameters
    ----------
    state : EditorState
        The plan.
    colors : mapping territory -> colour, optional
        Swatch colour per territory (as on the map).
    changed : iterable of str
        Territories to highlight (those the last action touched).
    version : int
        Written to ``data-version`` so a page can tell when the table was redrawn.
    """
    changed = set(changed)
    colors = colors or {}
    tol = state.tolerance
    names = state.measure_names
    totals = state.totals_array()
    dev = state.deviation_array()
    targets = state.targets().iloc[0]
    pieces_arr = state.pieces_array()
    has_pieces = pieces_arr is not None
    moved_in, moved_out = state.moved_arrays()
    locked = state.locked_counts()
    counts = np.bincount(state.codes, minlength=state.k)
    mm = state.moved_measure or "units"
    top = ['<th class="name" rowspan="2">Territory</th>', '<th rowspan="2">Units</th>']
    sub = []
    for m in names:
        if m in state.balance:
            top.append(
                f'<th colspan="2" class="group" title="target {targets[m]:,.0f} per territory; '
                f'tolerance ±{tol:.0%}">{html.escape(m)}</th>'
            )
            sub.append('<th>total</th><th title="deviation from target">dev</th>')
        else:
            top.append(f'<th rowspan="2">{html.escape(m)}</th>')
    if has_pieces:
        top.append('<th rowspan="2" title="connected pieces of the territory">Contig.</th>')
    top.append(
        f'<th colspan="2" class="group" title="moved share of {html.escape(mm)} since the start">Moved</th>'
    )
    sub.append(
        f'<th title="share of its {html.escape(mm)} that started in another territory">in</th>'
        f'<th title="share of its starting {html.escape(mm)} now in another territory">out</th>'
    )
    top.append('<th rowspan="2" title="locked units">Locks</th>')
    head = f"<tr>{''.join(top)}</tr><tr>{''.join(sub)}</tr>"
    balance_pos = [(j, m, state.balance.index(m) if m in state.balance else -1) for j, m in enumerate(names)]
    rows = []
    for t, name in enumerate(state.territories):
        esc = html.escape(name)
        sw = f'<span class="terrkit-swatch" style="background:{colors.get(name, "#ccc")}"></span>'
        cells = [
            f'<td class="name" data-col="territory" data-value="{esc}">{sw}{esc}</td>',
            _cell(f"{counts[t]:,}", "units", int(counts[t])),
        ]
        for j, m, b in balance_pos:
            v = float(totals[t, j])
            cells.append(_cell(_num(v), m, v))
            if b >= 0:
                d = float(dev[t, b])
                bad = np.isfinite(d) and abs(d) > tol + 1e-12
                cells.append(_cell(_pct(d), f"{m}_dev", d, "bad" if bad else ""))
        if has_pieces:
            p = int(pieces_arr[t])
            cells.append(_cell("yes" if p <= 1 else f"{p} pieces", "pieces", p, "" if p <= 1 else "bad"))
        cells.append(_cell(_pct(moved_in[t], False), "moved_in", float(moved_in[t])))
        cells.append(_cell(_pct(moved_out[t], False), "moved_out", float(moved_out[t])))
        cells.append(_cell(f"{int(locked[t])}" if locked[t] else "", "locked", int(locked[t])))
        cls = ' class="changed"' if name in changed else ""
        rows.append(f'<tr{cls} data-territory="{esc}">{"".join(cells)}</tr>')
    summary = state.summary()
    total = ['<td class="name">All</td>', _cell(f"{state.n:,}", "units", state.n)]
    sums = dict(zip(names, totals.sum(axis=0), strict=True))
    for m in state.measure_names:
        total.append(_cell(_num(sums[m]), m, float(sums[m])))
        if m in state.balance:
            worst = summary[f"max_dev_{m}"]
            total.append(_cell(f"max ±{worst:.1%}" if np.isfinite(worst) else "–", f"{m}_dev", worst))
    if has_pieces:
        frag = summary["fragments"]
        total.append(_cell("yes" if not frag else f"+{frag} pieces", "pieces", frag, "bad" if frag else ""))
    total.append(_cell(f"{summary['moved_share']:.1%}", "moved_share", summary["moved_share"]))
    total.append(_cell(f"{summary['moved_units']:,} units", "moved_units", summary["moved_units"]))
    total.append(_cell(f"{summary['locked_units']}", "locked", summary["locked_units"]))
    rows.append(f'<tr class="total" data-territory="">{"".join(total)}</tr>')
    return (
        f'{_STYLE}<div class="terrkit-balance-wrap"><table class="terrkit-balance" data-version="{version}">'
        f"<thead>{head}</thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def balance_frame(state: EditorState) -> pd.DataFrame:
    """The balance table as a DataFrame with readable column names (for static reports)."""
    table = state.balance_table()
    out = pd.DataFrame({"units": table["units"]})
    for m in state.measure_names:
        out[m] = table[m]
        if m in state.balance:
            out[f"{m} dev"] = table[f"{m}_dev"]
    if "pieces" in table:
        out["pieces"] = table["pieces"]
    out["moved in"] = table["moved_in"]
    out["moved out"] = table["moved_out"]
    out["locked"] = table["locked"]
    return out
