#!/usr/bin/env python3
"""Draws the comparison run's charts with matplotlib (Debian: python3-matplotlib).

    chart-compare.py --throughput PipelineBench.json --latency PipelineLatencyBench.json --out-dir docs/img

Writes compare-throughput.png (requests/s against requests in flight, one panel per step
time, log-log) and compare-latency.png (p50 and p99 per style, one panel per step time and
concurrency). The data come from the same JMH JSON that render-compare.py tabulates, read
with its loaders. Exits 3 when matplotlib is missing, so the caller can carry on without.
"""
import argparse
import importlib.util
import os
import sys

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("chart-compare: matplotlib is missing (Debian: apt-get install python3-matplotlib); no charts", file=sys.stderr)
    sys.exit(3)

_spec = importlib.util.spec_from_file_location(
    "render_compare", os.path.join(os.path.dirname(os.path.abspath(__file__)), "render-compare.py"))
rc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rc)

SHORT = {
    "corio-blocking": "corio blocking", "corio-in-worker": "corio inWorker", "callbacks": "callbacks (WorkerPool)",
    "futures": "CompletableFuture", "platform-threads": "platform threads", "virtual-threads": "virtual threads",
    "kotlin-io": "kotlinx Dispatchers.IO", "kotlin-virtual": "kotlinx virtual threads",
}
BACKEND_MARK = {"virtual": "o", "virtual-pinned": "s", "continuation": "^", None: "D"}


def name(s, b):
    return SHORT[s] + (f" ({b})" if b else "")


def style_of(s, b, i):
    corio = s.startswith("corio")
    return dict(marker=BACKEND_MARK.get(b, "D"), linestyle="-" if corio else "--",
                linewidth=2.2 if (s, b) == rc.REF else 1.3, color=plt.cm.tab20(i % 20))


def throughput_chart(tp, path):
    steps = sorted({k[2] for k in tp})
    series = rc.rows_of(tp.keys())
    fig, axes = plt.subplots(1, len(steps), figsize=(max(9.0, 5.2 * len(steps)), 4.8), squeeze=False)
    for ax, st in zip(axes[0], steps):
        for i, (s, b) in enumerate(series):
            pts = sorted((c, v["mean"]) for (ss, bb, t, c), v in tp.items() if (ss, bb, t) == (s, b, st))
            if pts:
                ax.plot([c for c, _ in pts], [v for _, v in pts], label=name(s, b), **style_of(s, b, i))
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(f"step time {rc.fmt_step(st)}")
        ax.set_xlabel("requests in flight")
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel("requests / s")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.suptitle("Request pipeline throughput (4 blocking steps per request; higher is better)")
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=4, fontsize=8, frameon=False)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def latency_chart(lat, path):
    combos = sorted({(k[2], k[3]) for k in lat})
    fig, axes = plt.subplots(1, len(combos), figsize=(max(7.0, 4.0 * len(combos)), 5.2), squeeze=False, sharey=True)
    series = rc.rows_of(lat.keys())
    for ax, (st, c) in zip(axes[0], combos):
        ys = list(range(len(series)))
        p50 = [(lat.get((s, b, st, c)) or {}).get("p50") or 0 for s, b in series]
        p99 = [(lat.get((s, b, st, c)) or {}).get("p99") or 0 for s, b in series]
        ax.barh([y + 0.2 for y in ys], p50, height=0.4, label="p50", color="tab:blue")
        ax.barh([y - 0.2 for y in ys], p99, height=0.4, label="p99", color="tab:orange")
        ax.set_xscale("log")
        ax.set_title(f"step {rc.fmt_step(st)}, {c:,} in flight", fontsize=10)
        ax.set_xlabel("µs (log)")
        ax.grid(True, axis="x", which="both", alpha=0.3)
        ax.set_yticks(ys)
        ax.set_yticklabels([name(s, b) for s, b in series], fontsize=8)
    axes[0][0].invert_yaxis()
    axes[0][-1].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    fig.suptitle("Request pipeline latency, p50 and p99 (lower is better)")
    fig.tight_layout(rect=(0, 0, 1, 0.94))
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--throughput")
    p.add_argument("--latency")
    p.add_argument("--out-dir", required=True)
    a = p.parse_args()
    os.makedirs(a.out_dir, exist_ok=True)
    tp = {k: v for k, v in rc.pipeline(rc.load_rows(a.throughput), rc.throughput).items() if v}
    lat = {k: v for k, v in rc.pipeline(rc.load_rows(a.latency), rc.latency).items() if v.get("p50")}
    for kind, data, draw in (("throughput", tp, throughput_chart), ("latency", lat, latency_chart)):
        path = os.path.join(a.out_dir, f"compare-{kind}.png")
        if data:
            draw(data, path)
            print(f"chart-compare: wrote {path}")
        elif os.path.exists(path):
            os.remove(path)  # no data for it in this run: no stale picture either


if __name__ == "__main__":
    main()
