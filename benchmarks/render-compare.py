#!/usr/bin/env python3
"""Renders the comparison run (benchmarks/run-compare) into docs/benchmarks.md.

Writes everything between <!-- compare:begin --> and <!-- compare:end -->, appending the
section when missing and leaving the other sections alone. Inputs are the JMH JSON of the
three runs: the pipeline's throughput (PipelineBench, requests/s from its `requests`
counter), its latency (PipelineLatencyBench, SampleTime percentiles) and the kotlinx
Mutex/Channel peers beside corio's CoMutex/CoQueue. Ratios are against corio's
`corioBlocking` on the `virtual` backend ("corio-virtual"). Lines of code per handler are
counted here, from the `// loc-begin: NAME` / `// loc-end` markers in the style sources.
Charts (chart-compare.py) are referenced when their PNG files exist.
"""
import argparse
import glob
import importlib.util
import json
import os
import re

_spec = importlib.util.spec_from_file_location(
    "render_core", os.path.join(os.path.dirname(os.path.abspath(__file__)), "render-core.py"))
core = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(core)

BEGIN, END = "<!-- compare:begin -->", "<!-- compare:end -->"
BACKENDS = core.BACKENDS
REF = ("corio-blocking", "virtual")
PLATFORM_CAP = 1000  # ThreadStyle.PLATFORM_CAP
# style id -> (label, the loc marker of its handler)
STYLES = {
    "corio-blocking": ("corio coroutines, `Coroutine.blocking`", "corio-blocking"),
    "corio-in-worker": ("corio coroutines, `Coroutine.inWorker` (WorkerPool, 64 threads)", "corio-in-worker"),
    "callbacks": ("callbacks: WorkerPool (64 threads) + post-ops on the loop", "callbacks"),
    "futures": ("`CompletableFuture` chains (executor, 64 threads)", "futures"),
    "platform-threads": ("platform thread per request (at most 1,000)", "threads"),
    "virtual-threads": ("virtual thread per request", "threads"),
    "kotlin-io": ("kotlinx.coroutines, `withContext(Dispatchers.IO)` (64 threads)", "kotlin"),
    "kotlin-virtual": ("kotlinx.coroutines, `withContext` on virtual threads", "kotlin"),
}
# (case, corio benchmark on virtual, kotlinx benchmark)
PEERS = [
    ("mutex, uncontended", "MutexBench.uncontended", "KotlinPeerBench.mutexUncontended"),
    ("mutex, 2 coroutines contending", "MutexBench.contended2", "KotlinPeerBench.mutexContended2"),
    ("mutex, 16 coroutines contending", "MutexBench.contended16", "KotlinPeerBench.mutexContended16"),
    ("ping-pong (CoQueue + CoMutex / two rendezvous Channels)", "QueueBench.pingPong", "KotlinPeerBench.channelPingPong"),
]


def style_id(method):
    """corioInWorker -> corio-in-worker, as Subject.styleId does."""
    return re.sub(r"([a-z])([A-Z])", r"\1-\2", method).lower()


def load_rows(path):
    if not path or not os.path.exists(path):
        return []
    with open(path) as f:
        return json.load(f)


def pipeline(rows, metric):
    """(style, backend or None, stepNanos, concurrency) -> metric(row), for PipelineBench rows."""
    out = {}
    for r in rows:
        p = r.get("params", {})
        key = (style_id(r["benchmark"].rsplit(".", 1)[1]), p.get("backend"), int(p["stepNanos"]), int(p["concurrency"]))
        out[key] = metric(r)
    return out


def throughput(r):
    m = r.get("secondaryMetrics", {}).get("requests")
    if not m:
        return None
    return {"mean": m["score"]}


def latency(r):
    m = r["primaryMetric"]
    p = m.get("scorePercentiles", {})
    n = sum(count for fork in m.get("rawDataHistogram", []) for it in fork for _, count in it)
    return {"p50": p.get("50.0"), "p90": p.get("90.0"), "p99": p.get("99.0"), "n": n}


def failures(console):
    """(style, backend, stepNanos, concurrency) -> why, from a JMH console log."""
    out, key = {}, None
    if not console or not os.path.exists(console):
        return out
    lines = open(console, errors="replace").read().splitlines()
    for i, line in enumerate(lines):
        if line.startswith("# Benchmark: "):
            bench = line.split()[-1].rsplit(".", 1)[1]
        elif line.startswith("# Parameters: "):
            p = dict(re.findall(r"(\w+) = ([\w-]+)", line))
            if "stepNanos" in p:
                key = (style_id(bench), p.get("backend"), int(p["stepNanos"]), int(p["concurrency"]))
        elif "<failure>" in line and key:
            why = next((t.strip() for t in lines[i + 1:i + 40] if t.strip() and not t.strip().startswith("at ")), "failed")
            name, _, msg = why.partition(": ")
            out[key] = name.rsplit(".", 1)[-1] + (": " + msg[:80] if msg else "")
    return out


def count_loc(src_dirs):
    """marker name -> (non-blank, non-comment lines between its markers, files)."""
    out = {}
    for d in src_dirs:
        for path in sorted(glob.glob(os.path.join(d, "**", "*.java"), recursive=True)
                           + glob.glob(os.path.join(d, "**", "*.kt"), recursive=True)):
            name = None
            for n, line in enumerate(open(path), 1):
                t = line.strip()
                m = re.match(r"//\s*loc-begin:\s*([\w-]+)", t)
                if m:
                    if name:
                        raise SystemExit(f"{path}:{n}: loc-begin inside loc-begin: {name}")
                    name = m.group(1)
                    count, files = out.get(name, (0, []))
                    out[name] = (count, files + [os.path.basename(path)])
                elif re.match(r"//\s*loc-end", t):
                    if not name:
                        raise SystemExit(f"{path}:{n}: loc-end without loc-begin")
                    name = None
                elif name and t and not t.startswith(("//", "/*", "*", "*/")):
                    count, files = out[name]
                    out[name] = (count + 1, files)
            if name:
                raise SystemExit(f"{path}: loc-begin: {name} has no loc-end")
    return out


def num(v):
    if v is None:
        return "—"
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}" if v >= 10 else f"{v:.2f}"


def ratio(a, b):
    return None if a is None or not b else a / b


def rows_of(keys):
    """(style, backend) pairs in a stable order: the table order of STYLES, backends in order."""
    present = {(s, b) for s, b, *_ in keys}
    out = []
    for s in STYLES:
        for b in ([*BACKENDS] if any(k[0] == s and k[1] for k in present) else [None]):
            if (s, b) in present:
                out.append((s, b))
    return out


def label(s, b):
    return STYLES[s][0] + (f", {b}" if b else "")


def render(a, tp, tp_fail, lat, lat_fail, peers, loc, jmh, images):
    cores, jdk = core.machine(a.java)
    end_load = core.loadavg()
    steps = sorted({k[2] for k in list(tp) + list(lat)})
    conc = sorted({k[3] for k in tp})
    n_steps = sorted({r.get("params", {}).get("steps") for r in a.tp_rows} - {None})
    L = [BEGIN, "## Coroutines against callbacks: a request pipeline", "",
         f"- Command: `{a.command}` (JMH {jmh}; throughput: `{a.tp_args.strip()}`; latency: `{a.lat_args.strip()}`; "
         f"peers: `{a.peer_args.strip()}`)" + (f", run at niceness {a.nice}" if a.nice != "0" else ""),
         f"- Date: {a.date}; load average (1, 5, 15 min) at start: {a.load}, at end: {end_load}",
         f"- JDK: {jdk}", f"- Machine: {cores}", "",
         f"Each request runs {', '.join(map(str, n_steps)) or 4} steps; each step is a blocking call that waits the step "
         "time (`LockSupport.parkNanos`, again until due; 0: no wait, so the style's own cost alone) and answers a value "
         "that the handler folds into the request's state (`io.corio.bench.compare.Request`). A closed loop keeps "
         "*concurrency* requests in flight, each completion starting the next, and checks every result "
         "(`Driver`). Every style runs the same requests; only the handler's shape differs. The bounded pools "
         "(WorkerPool, the futures' executor, `Dispatchers.IO`) have 64 threads, the default of QEMU's thread pool and "
         "of Dispatchers.IO; the kotlinx loop is one platform thread, corio's one virtual thread.", ""]
    L += ["### Lines of code per handler", "",
          "Counted by `benchmarks/render-compare.py` between `// loc-begin: NAME` and `// loc-end` in the style "
          "sources (blank and comment lines left out): the code a developer writes for one request, without "
          "the harness.", "", "| style | lines | where |", "|---|--:|---|"]
    for s, (lab, marker) in STYLES.items():
        n, files = loc.get(marker, (None, []))
        L.append(core.row(lab, "—" if n is None else str(n), ", ".join(f"`{f}`" for f in files) or "no markers"))
    L.append("")

    ref_tp = {(st, c): tp.get((*REF, st, c)) for st in steps for c in conc}
    if tp:
        L += ["### Throughput", "",
              "Requests per second (JMH mean of the `requests` counter; `PipelineBench`), and in brackets the "
              "ratio to corio-virtual (`Coroutine.blocking` on the `virtual` backend): above 1 is faster than it.", ""]
        if images.get("throughput"):
            L += [f"![throughput against concurrency]({images['throughput']})", ""]
        for st in steps:
            L += [f"**Step time {fmt_step(st)}**", "",
                  "| style | " + " | ".join(f"{c:,} in flight" for c in conc) + " |",
                  "|---|" + "--:|" * len(conc)]
            for s, b in rows_of(tp.keys() | tp_fail.keys()):
                cells = []
                for c in conc:
                    v, why = tp.get((s, b, st, c)), tp_fail.get((s, b, st, c))
                    if v is None:
                        cells.append(f"failed: {why}" if why else "not run")
                        continue
                    ref = ref_tp.get((st, c))
                    cell = num(v["mean"]) + (f" ({ratio(v['mean'], ref['mean']):.2f}x)" if ref and (s, b) != REF else "")
                    if s == "platform-threads" and c > PLATFORM_CAP:
                        cell += " †"
                    cells.append(cell)
                L.append(core.row(label(s, b), *cells))
            L.append("")
        if any(c > PLATFORM_CAP for c in conc):
            L += [f"† Platform threads: at most {PLATFORM_CAP:,} requests in flight (one thread each), not the "
                  "concurrency of the column: a thread-per-request server bounds its threads.", ""]
    if lat:
        L += ["### Latency", "",
              "One request's time from submission to completion while *concurrency − 1* others stay in flight, "
              "in microseconds (JMH SampleTime percentiles; `PipelineLatencyBench`), and the ratio of each "
              "percentile to corio-virtual's: under 1 is quicker. The JMH thread submits the request and parks "
              "until it is done, so every figure includes one wake-up of a platform thread (tens of µs here). "
              "At high concurrency the figure is mostly queueing: about concurrency ÷ throughput.", ""]
        if images.get("latency"):
            L += [f"![latency percentiles]({images['latency']})", ""]
        for st in steps:
            for c in sorted({k[3] for k in lat if k[2] == st}):
                ref = lat.get((*REF, st, c))
                L += [f"**Step time {fmt_step(st)}, {c:,} in flight**", "",
                      "| style | p50 µs | p90 µs | p99 µs | samples | p50 ÷ corio-virtual | p99 ÷ corio-virtual |",
                      "|---|--:|--:|--:|--:|--:|--:|"]
                for s, b in rows_of(k for k in lat.keys() | lat_fail.keys() if k[2] == st and k[3] == c):
                    v = lat.get((s, b, st, c))
                    if v is None:
                        why = lat_fail.get((s, b, st, c))
                        L.append(core.row(label(s, b), f"failed: {why}" if why else "not run", "", "", "", "", ""))
                        continue
                    r50 = ratio(v["p50"], ref and ref["p50"])
                    r99 = ratio(v["p99"], ref and ref["p99"])
                    L.append(core.row(label(s, b), num(v["p50"]), num(v["p90"]), num(v["p99"]), str(v["n"] or "—"),
                                      core.x(r50) if (s, b) != REF else "", core.x(r99) if (s, b) != REF else ""))
                L.append("")
    if peers:
        L += ["### kotlinx.coroutines Mutex and Channel against corio", "",
              "ns per op, both on one loop thread (corio: one context on the `virtual` backend; kotlinx: a "
              "single-threaded dispatcher); contended: N coroutines each lock, yield to the others and unlock. "
              "corio's side is `MutexBench` / `QueueBench` from the primitives suite, run again here.", "",
              "| case | corio ns/op | kotlinx ns/op | kotlinx ÷ corio |", "|---|--:|--:|--:|"]
        for case, cb, kb in PEERS:
            c, k = peers.get((cb, "virtual")), peers.get((kb, None))
            L.append(core.row(case, num(c), num(k), core.x(ratio(k, c))))
        L.append("")
    L += reading(tp, steps, conc) + [END]
    return "\n".join(L) + "\n"


def fmt_step(ns):
    return "0 (no wait)" if ns == 0 else f"{ns // 1000:,} µs" if ns < 1_000_000 else f"{ns / 1e6:g} ms"


def reading(tp, steps, conc):
    out = ["### Reading", ""]
    for st in steps:
        for c in conc:
            here = {(s, b): v["mean"] for (s, b, t, cc), v in tp.items() if t == st and cc == c and v}
            if len(here) < 2:
                continue
            ref = here.get(REF)
            best = max(here, key=here.get)
            line = f"- Step {fmt_step(st)}, {c:,} in flight: fastest is {label(*best)} ({num(here[best])}/s)"
            cb = here.get(("callbacks", None))
            if ref:
                line += f"; corio-virtual does {num(ref)}/s" + (f", {ref / cb:.2f}x the callbacks" if cb else "")
            out.append(line + ".")
    out += ["- The pool-bound styles (inWorker, callbacks, futures, Dispatchers.IO) have at most 64 blocking "
            "calls waiting at once, so with long steps and many requests in flight they top out near 64 ÷ (steps × "
            "step time) requests per second (16,000/s for 4 steps of 1 ms); `Coroutine.blocking`, virtual threads "
            "and the kotlinx virtual-thread dispatcher wait on virtual threads and are bounded by the CPU instead.",
            "- All of a corio context's coroutines take turns on one loop, as the kotlinx coroutines do on their one "
            "thread: the handler code between steps never runs in parallel, where the thread-per-request and "
            "futures styles run it on any core.",
            "- This is a short run on a shared 2-core machine: read ratios under 1.3x apart as equal, and rerun with "
            "`--full` on a quiet machine before trusting small differences.", ""]
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--throughput", help="PipelineBench JSON")
    p.add_argument("--throughput-console")
    p.add_argument("--latency", help="PipelineLatencyBench JSON")
    p.add_argument("--latency-console")
    p.add_argument("--peers", help="KotlinPeerBench + MutexBench/QueueBench JSON")
    p.add_argument("--src", action="append", default=[], help="source folder with loc markers (repeatable)")
    p.add_argument("--img-dir", help="where chart-compare.py wrote its PNG files")
    p.add_argument("--doc", required=True)
    p.add_argument("--command", default="./corio bench compare")
    p.add_argument("--tp-args", default="")
    p.add_argument("--lat-args", default="")
    p.add_argument("--peer-args", default="")
    p.add_argument("--date", default="")
    p.add_argument("--load", default=core.loadavg())
    p.add_argument("--nice", default="0")
    p.add_argument("--java", default="java")
    a = p.parse_args()
    a.tp_rows = load_rows(a.throughput)
    lat_rows, peer_rows = load_rows(a.latency), load_rows(a.peers)
    tp = {k: v for k, v in pipeline(a.tp_rows, throughput).items() if v}
    lat = pipeline(lat_rows, latency)
    peers = {(".".join(r["benchmark"].split(".")[-2:]), r.get("params", {}).get("backend")): r["primaryMetric"]["score"]
             for r in peer_rows}
    jmh = next((r.get("jmhVersion") for r in a.tp_rows + lat_rows + peer_rows), "?")
    images = {}
    for kind in ("throughput", "latency"):
        f = os.path.join(a.img_dir or "", f"compare-{kind}.png")
        if a.img_dir and os.path.exists(f):
            images[kind] = os.path.relpath(f, os.path.dirname(os.path.abspath(a.doc)))
    text = render(a, tp, failures(a.throughput_console), lat, failures(a.latency_console), peers,
                  count_loc(a.src), jmh, images)
    text = core.splice(a.doc, text, BEGIN, END)  # read the doc before opening it for writing
    with open(a.doc, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
