"""Benchmark (issue 6): kernel time of one reassignment in the territory editor on the sample.

The editor is built inside a real IPython kernel (started with jupyter_client, as JupyterLab would), so
the measured time includes everything the kernel does for one edit: the state change, rebuilding the
GeoJSON of the touched territory layers, the balance table HTML, and serialising and sending the widget
messages. The browser's rendering is not kernel time and is not included.

For 1 and for 20 units (neighbouring units of one territory moved to another territory, then moved back)
it prints the median, 90th percentile and maximum over ``--repeat`` edits, and the time of undo.

Usage::

    python benchmarks/bench_editor.py [--repeat 15] [--data PATH] [--layer]

``--layer`` opens the editor on the mixed unit layer of notebooks 60 and 70 (counties, ZIP cells of the
counties too big for a territory's share, named accounts) instead of the counties.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
import time

from jupyter_client.manager import start_new_kernel

SETUP = """
import time, json
import numpy as np
from terrkit.io import load_dataset
from terrkit.interactive import TerritoryEditor
_t = time.perf_counter()
ds = load_dataset({data!r})
if {layer!r}:
    from terrkit.interactive.inputs import layer_editor_inputs

    editor = TerritoryEditor.from_inputs(layer_editor_inputs(ds)[0], tolerance=0.6)
else:
    editor = TerritoryEditor.from_dataset(ds, tolerance=0.6)
display(editor.widget)
build_s = time.perf_counter() - _t
"""

MEASURE = """
def _bench(n, repeat):
    st = editor.state
    counts = st.unit_counts()
    src = counts[counts >= n + 1].index[0]
    dst = [t for t in st.territories if t != src][0]
    units = list(st.ids[st.members(src)[:n]])
    times, undo = [], []
    for _ in range(repeat):
        t0 = time.perf_counter(); editor.assign(units, dst); times.append(time.perf_counter() - t0)
        t0 = time.perf_counter(); editor.assign(units, src); times.append(time.perf_counter() - t0)
        t0 = time.perf_counter(); editor.undo(); undo.append(time.perf_counter() - t0)
        editor.redo()
    return times, undo

out = {{"build_s": build_s, "units": editor.state.n, "territories": editor.state.k}}
for n in (1, 20):
    times, undo = _bench(n, {repeat})
    ms = np.array(times) * 1000
    out[str(n)] = {{"median": float(np.median(ms)), "p90": float(np.percentile(ms, 90)),
                   "max": float(ms.max()), "undo_median": float(np.median(np.array(undo) * 1000)),
                   "edits": len(ms)}}
print("RESULT" + json.dumps(out))
"""


def run_cell(client, code: str, timeout: float = 600) -> str:
    """Execute code in the kernel; return its stdout, raise on error."""
    msg_id = client.execute(code)
    out = []
    deadline = time.time() + timeout
    while True:
        msg = client.get_iopub_msg(timeout=max(1, deadline - time.time()))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            out.append(content["text"])
        elif kind == "error":
            raise RuntimeError("\n".join(content["traceback"]))
        elif kind == "status" and content["execution_state"] == "idle":
            return "".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=15, help="edits per size (each is done twice)")
    parser.add_argument("--data", default=None, help="dataset folder (default: the bundled sample)")
    parser.add_argument("--layer", action="store_true", help="the mixed unit layer instead of the counties")
    args = parser.parse_args(argv)
    km, kc = start_new_kernel(kernel_name="python3")
    try:
        run_cell(kc, textwrap.dedent(SETUP.format(data=args.data, layer=args.layer)))
        text = run_cell(kc, MEASURE.format(repeat=args.repeat))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    result = json.loads(text.split("RESULT", 1)[1])
    print(
        f"python {sys.version.split()[0]}; editor on {result['units']:,} units, {result['territories']} "
        f"territories; built in {result['build_s']:.1f} s (kernel)"
    )
    print("kernel time of one reassignment (state + map layers + table + widget messages):")
    for n in ("1", "20"):
        r = result[n]
        print(
            f"  {n:>2} unit{'s' if n != '1' else ' '}: median {r['median']:6.1f} ms, p90 {r['p90']:6.1f} ms, "
            f"max {r['max']:6.1f} ms over {r['edits']} edits; undo median {r['undo_median']:.1f} ms"
        )
    worst = max(result[n]["max"] for n in ("1", "20"))
    print(f"target < 300 ms: {'met' if worst < 300 else 'NOT met'} (worst {worst:.1f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
