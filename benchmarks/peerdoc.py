"""What run-9p and run-nbd share to publish a peer comparison beside its table.

    table = peerdoc.publish("nbd", rows, table)

writes the rows as docs/data/NAME.json, draws docs/img/NAME-*.png from them with
chart-peers.py, and returns the table with links to the charts that were drawn. Charts need
matplotlib (Debian: python3-matplotlib), which the python3 first on PATH (a pyenv or a venv)
may lack where /usr/bin/python3 has it: every python3 is tried, and without any the table
goes out without charts and a message says why. Imported by the scripts of this directory
(Python puts a script's own directory first on sys.path).
"""
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DATA = os.path.join(ROOT, "docs", "data")
IMG = os.path.join(ROOT, "docs", "img")
CHART = os.path.join(HERE, "chart-peers.py")
ALT = {  # the charts' alt text
    "9p.png": "9P ops/s per server for I/O and getattr, with peak RSS and threads",
    "9p-load.png": "9P ops/s and p99 latency per server against reads in flight",
    "nbd-throughput.png": "NBD MB/s or IOPS per server and load",
    "nbd-latency.png": "NBD p50 and p99 latency per server and load",
    "nbd-pair-throughput.png": "NBD IOPS of corio and its CompletableFuture twin per load",
    "nbd-pair-latency.png": "NBD p50 and p99 latency of corio and its CompletableFuture twin per load",
}


def chart_pythons():
    """The python3 interpreters to try for matplotlib, this one first, each once."""
    seen, out = set(), []
    for py in (sys.executable, shutil.which("python3"), "/usr/bin/python3"):
        if py and os.access(py, os.X_OK) and os.path.realpath(py) not in seen:
            seen.add(os.path.realpath(py))
            out.append(py)
    return out


def draw(suite, data_path, out_dir):
    """Runs chart-peers.py; returns the paths of the charts it wrote ([] without matplotlib)."""
    for py in chart_pythons():
        run = subprocess.run([py, CHART, suite, "--data", data_path, "--out-dir", out_dir],
                             capture_output=True, text=True)
        if run.returncode == 3:  # this python has no matplotlib: try the next
            continue
        if run.returncode != 0:
            print(f"{suite}: chart-peers.py failed ({run.returncode}), no charts:\n{run.stderr}",
                  file=sys.stderr)
            return []
        return [line.split("wrote ", 1)[1] for line in run.stdout.splitlines() if " wrote " in line]
    print(f"{suite}: no charts: matplotlib is missing (Debian: apt-get install python3-matplotlib)",
          file=sys.stderr)
    return []


def publish(suite, rows, table, meta=None):
    """Writes docs/data/SUITE.json, draws the charts; returns table with the charts linked."""
    os.makedirs(DATA, exist_ok=True)
    path = os.path.join(DATA, f"{suite}.json")
    with open(path, "w") as f:
        json.dump({"suite": suite, **(meta or {}), "rows": rows}, f, indent=1)
        f.write("\n")
    charts = draw(suite, path, IMG)
    names = [os.path.basename(c) for c in charts]
    links = [f"![{ALT.get(n, n[:-4])}](img/{n})" for n in names]
    data = f"Data: [`docs/data/{suite}.json`](data/{suite}.json)."
    return table + "\n\n" + "\n\n".join(links + [data])
