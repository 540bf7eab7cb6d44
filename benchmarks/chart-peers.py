#!/usr/bin/env python3
"""Draws the peer comparisons' charts (9P: diodload; NBD: fio) with matplotlib.

    chart-peers.py 9p  --data docs/data/9p.json  --out-dir docs/img
    chart-peers.py 9p-load --data docs/data/9p-load.json --out-dir docs/img
    chart-peers.py nbd --data docs/data/nbd.json --out-dir docs/img

The data are the JSON that run-9p and run-nbd write beside docs/benchmarks.md (through
peerdoc.py). 9p.png: ops/s per server for the I/O and getattr loads (bar: median of the
rounds; dots: each round; whisker: their range), and each server's peak RSS and most threads.
nbd-throughput.png: per load, MB/s (large blocks) or IOPS (small ones) per server, drawn the
same way; nbd-latency.png: per load, p50 and p99 per server (medians of the rounds, log
scale); 9p-load.png: per read size, ops/s and p99 against requests in flight (run-9p-load).
Prints "chart-peers: wrote PATH" per chart. Exits 3 when matplotlib is missing, so
the caller can try another python3 or carry on without charts.
"""
import argparse
import json
import os
import re
import statistics
import sys

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("chart-peers: matplotlib is missing (Debian: apt-get install python3-matplotlib); no charts",
          file=sys.stderr)
    sys.exit(3)


def color(i, corio):
    """corio's servers in blues and greens, the peers in the warm half of tab10."""
    return plt.cm.tab10([0, 2, 9, 8][i % 4] if corio else [1, 3, 4, 5, 6, 7][i % 6])


def colors(servers):
    out, ours, theirs = {}, 0, 0
    for s in servers:
        corio = not s.startswith(("diod", "nbdkit", "qemu"))
        out[s] = color(ours if corio else theirs, corio)
        ours, theirs = ours + corio, theirs + (not corio)
    return out


def spread_bars(ax, servers, runs, palette, unit):
    """One bar per server at the median of its runs, a dot per run and a whisker over their range."""
    xs = range(len(servers))
    meds = [statistics.median(runs[s]) for s in servers]
    lo = [m - min(runs[s]) for m, s in zip(meds, servers)]
    hi = [max(runs[s]) - m for m, s in zip(meds, servers)]
    ax.bar(xs, meds, color=[palette[s] for s in servers], alpha=0.85)
    ax.errorbar(xs, meds, yerr=[lo, hi], fmt="none", ecolor="black", capsize=4, linewidth=1)
    for x, s in zip(xs, servers):
        ax.plot([x] * len(runs[s]), runs[s], "o", color="black", markersize=3, alpha=0.6)
    for x, m, s in zip(xs, meds, servers):  # the median, written above the highest run
        ax.annotate(f"{m:,.0f}", (x, max(runs[s])), textcoords="offset points", xytext=(0, 4), ha="center",
                    fontsize=7)
    ax.margins(y=0.1)
    ax.set_xticks(list(xs))
    ax.set_xticklabels(servers, rotation=20, ha="right", fontsize=8)
    ax.set_ylabel(unit)
    ax.grid(True, axis="y", alpha=0.3)


def ninep(data, out_dir):
    rows = data["rows"]
    loads = list(dict.fromkeys(r["load"] for r in rows))
    servers = list(dict.fromkeys(r["server"] for r in rows))
    palette = colors(servers)
    usage = data.get("usage", {})
    fig, axes = plt.subplots(1, len(loads) + 1, figsize=(4.2 * (len(loads) + 1), 4.4), squeeze=False)
    for ax, load in zip(axes[0], loads):
        runs = {r["server"]: r["ops"] for r in rows if r["load"] == load}
        spread_bars(ax, [s for s in servers if s in runs], runs, palette, "ops/s")
        ax.set_title(f"{load} (diodload)", fontsize=10)
    ax = axes[0][-1]
    rss = [usage.get(s, {}).get("peak_rss_kib", 0) / 1024 for s in servers]
    ax.bar(range(len(servers)), rss, color=[palette[s] for s in servers], alpha=0.85)
    for x, s in enumerate(servers):
        ax.annotate(f"{usage.get(s, {}).get('threads', 0)} threads", (x, rss[x]), textcoords="offset points",
                    xytext=(0, 3), ha="center", fontsize=7)
    ax.set_xticks(range(len(servers)))
    ax.set_xticklabels(servers, rotation=20, ha="right", fontsize=8)
    ax.set_ylabel("MiB")
    ax.set_title("peak RSS, most threads seen", fontsize=10)
    ax.grid(True, axis="y", alpha=0.3)
    fig.suptitle("9P servers under diodload: ops/s, median of the rounds (dots: each round; higher is better)")
    return [save(fig, os.path.join(out_dir, "9p.png"))]


def ninep_load(data, out_dir):
    """Per read size: ops/s and p99 latency against requests in flight, a line per server."""
    rows = data["rows"]
    blocks = sorted({r["block"] for r in rows})
    servers = list(dict.fromkeys(r["server"] for r in rows))
    palette = colors(servers)
    fig, axes = plt.subplots(len(blocks), 2, figsize=(10, 3.8 * len(blocks)), squeeze=False)
    for (ax_ops, ax_p99), block in zip(axes, blocks):
        name = f"{block // 1024} KiB" if block % 1024 == 0 else f"{block:,} B"
        for s in servers:
            mine = sorted((r for r in rows if r["block"] == block and r["server"] == s), key=lambda r: r["concurrency"])
            cs = [r["concurrency"] for r in mine]
            ax_ops.plot(cs, [statistics.median(x["ops_per_s"] for x in r["runs"]) for r in mine], "o-",
                        color=palette[s], label=s)
            ax_p99.plot(cs, [statistics.median(x["p99_us"] for x in r["runs"]) / 1e3 for r in mine], "o-",
                        color=palette[s], label=s)
        for ax, unit, title in ((ax_ops, "ops/s", "throughput (higher is better)"),
                                (ax_p99, "ms (log)", "p99 latency (lower is better)")):
            ax.set_xscale("log", base=2)
            ax.set_xticks(sorted({r["concurrency"] for r in rows}))
            ax.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
            ax.set_xlabel("requests in flight")
            ax.set_ylabel(unit)
            ax.set_title(f"{name} reads: {title}", fontsize=10)
            ax.grid(True, which="both", alpha=0.3)
        ax_p99.set_yscale("log")
        ax_ops.set_ylim(bottom=0)
    axes[0][0].legend(fontsize=8)
    fig.suptitle("9P servers on a real file (LoadMain): median of the rounds")
    return [save(fig, os.path.join(out_dir, "9p-load.png"))]


def block_bytes(load):
    """The block size named in a load such as 'randread 128k qd128', in bytes (0 if none)."""
    m = re.search(r"\b(\d+)([kKmM])\b", load)
    return int(m.group(1)) << (10 if m.group(2) in "kK" else 20) if m else 0


def nbd(data, out_dir, prefix="nbd"):
    rows = data["rows"]
    panels = list(dict.fromkeys((r["scenario"], r["load"]) for r in rows))
    servers = list(dict.fromkeys(r["server"] for r in rows))
    palette = colors(servers)
    ncols = min(3, len(panels))
    nrows = -(-len(panels) // ncols)

    fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 4.2 * nrows), squeeze=False)
    for ax, (scenario, load) in zip(axes.flat, panels):
        by_server = {r["server"]: r["runs"] for r in rows if (r["scenario"], r["load"]) == (scenario, load)}
        big = block_bytes(load) >= 64 << 10
        runs = {s: [x["bytes_per_s"] / 1e6 if big else x["iops"] for x in v] for s, v in by_server.items()}
        spread_bars(ax, [s for s in servers if s in runs], runs, palette, "MB/s" if big else "IOPS")
        ax.set_title(f"{scenario}: {load}", fontsize=10)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    fig.suptitle("NBD servers under fio: median of the rounds (dots: each round; higher is better)")
    written = [save(fig, os.path.join(out_dir, f"{prefix}-throughput.png"))]

    fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 0.5 * len(servers) * nrows + 2.2 * nrows),
                             squeeze=False)
    for ax, (scenario, load) in zip(axes.flat, panels):
        by_server = {r["server"]: r["runs"] for r in rows if (r["scenario"], r["load"]) == (scenario, load)}
        names = [s for s in servers if s in by_server]
        ys = range(len(names))
        p50 = [statistics.median(x["p50_ns"] for x in by_server[s]) / 1e3 for s in names]
        p99 = [statistics.median(x["p99_ns"] for x in by_server[s]) / 1e3 for s in names]
        ax.barh([y - 0.2 for y in ys], p50, height=0.4, label="p50", color="tab:blue")
        ax.barh([y + 0.2 for y in ys], p99, height=0.4, label="p99", color="tab:orange")
        for y, a, b in zip(ys, p50, p99):
            ax.annotate(f"{a:,.0f}", (a, y - 0.2), xytext=(2, 0), textcoords="offset points", va="center", fontsize=6)
            ax.annotate(f"{b:,.0f}", (b, y + 0.2), xytext=(2, 0), textcoords="offset points", va="center", fontsize=6)
        ax.set_xscale("log")
        ax.margins(x=0.15)
        ax.set_yticks(list(ys))
        ax.set_yticklabels(names, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel("µs (log)")
        ax.set_title(f"{scenario}: {load}", fontsize=10)
        ax.grid(True, axis="x", which="both", alpha=0.3)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    axes[0][0].legend(fontsize=8)
    fig.suptitle("NBD completion latency under fio, p50 and p99 (median of the rounds; lower is better)")
    written.append(save(fig, os.path.join(out_dir, f"{prefix}-latency.png")))
    return written


def save(fig, path):
    fig.tight_layout(rect=(0, 0, 1, 0.94))
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    print(f"chart-peers: wrote {path}")
    return path


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("suite", choices=("9p", "9p-load", "nbd", "nbd-pair"))
    p.add_argument("--data", required=True, help="the JSON run-9p or run-nbd wrote")
    p.add_argument("--out-dir", required=True)
    a = p.parse_args()
    with open(a.data) as f:
        data = json.load(f)
    if not data.get("rows"):
        sys.exit(f"chart-peers: {a.data} has no rows")
    os.makedirs(a.out_dir, exist_ok=True)
    {"9p": ninep, "9p-load": ninep_load, "nbd": nbd,
     "nbd-pair": lambda d, o: nbd(d, o, "nbd-pair")}[a.suite](data, a.out_dir)


if __name__ == "__main__":
    main()
