#!/usr/bin/env python3
"""Renders the coroutine-core JMH results (JSON) into docs/benchmarks.md.

Writes everything between <!-- core:begin --> and <!-- core:end -->, creating the file
(title and intro) or the section when missing and leaving other sections alone. The
reading at the end is computed from the numbers. Aims (the issue's): each backend's round
trip within 1.5x of its raw baseline, lifecycle within 2x of the round trip.

Every figure is shown twice: JMH's mean (with its 99.9% error) and the best measurement
iteration. On a shared 2-core machine other processes only ever add time, so the best
iteration is the steadier estimate of what an operation costs; the verdicts use the mean
and say when the best iterations disagree.
"""
import argparse
import datetime
import json
import math
import os
import re
import subprocess

BEGIN, END = "<!-- core:begin -->", "<!-- core:end -->"
BACKENDS = ["virtual", "virtual-pinned", "continuation"]
# backend -> (raw baseline benchmark, what it is, reference point measured on this machine kind)
BASELINE = {
    "virtual": ("RawBaselineBench.virtualHandOff", "park/unpark ping-pong, default scheduler", "~1.4 µs"),
    "virtual-pinned": ("RawBaselineBench.pinnedHandOff", "park/unpark ping-pong, one carrier", "~0.4 µs"),
    "continuation": ("RawBaselineBench.continuationRunYield", "`Continuation` run+yield", "~100 ns"),
}
ENTER, WAKE, PINGPONG = "RoundTripBench.enterYield", "RoundTripBench.wakeYield", "RoundTripBench.wakePingPong"
LIFE, NEST, NEST_BIG = "LifecycleBench.createEnterEnd", "NestingBench.nest1000", "NestingBench.nest1000BigStack"
RAW_LIFE = "RawBaselineBench.continuationLifecycle"
ROUND_AIM, LIFE_AIM, NOISY = 1.5, 2.0, 0.10

INTRO = """# corio benchmarks

Results of the JMH benchmarks in `benchmarks/`, each section written by the script that
ran it (do not edit between the markers). Numbers are per operation; `±` is JMH's 99.9%
confidence half-width and `best` the fastest measurement iteration. Raw baselines are
measured in the same run as what they are compared with.
"""


class Result:
    """One benchmark's mean, error and best iteration, or why it has none."""

    def __init__(self, mean=None, err=None, best=None, failure=None):
        self.mean, self.err, self.best, self.failure = mean, err, best, failure

    def get(self, best):
        return self.best if best else self.mean


def load(path, console):
    """(short name, backend or None) -> Result, plus the JMH version."""
    with open(path) as f:
        rows = json.load(f)
    out = {}
    for r in rows:
        m = r["primaryMetric"]
        err = m["scoreError"]
        err = None if isinstance(err, str) or math.isnan(err) else err
        best = min(v for fork in m["rawData"] for v in fork)
        out[key_of(r["benchmark"], r.get("params", {}).get("backend"))] = Result(m["score"], err, best)
    for k, why in failures(console).items():
        out.setdefault(k, Result(failure=why))
    return out, (rows[0].get("jmhVersion", "?") if rows else "?")


def key_of(benchmark, backend):
    return ".".join(benchmark.split(".")[-2:]), backend


def failures(console):
    """(short name, backend or None) -> the exception that ended a run, from JMH's console log."""
    out, key = {}, None
    if not console or not os.path.exists(console):
        return out
    lines = open(console, errors="replace").read().splitlines()
    for i, line in enumerate(lines):
        if line.startswith("# Benchmark: "):
            key = key_of(line.split()[-1], None)
        elif line.startswith("# Parameters: ") and key:
            m = re.search(r"backend = ([\w-]+)", line)
            key = (key[0], m.group(1) if m else None)
        elif "<failure>" in line and key:
            first, cause = None, None
            for nxt in lines[i + 1:i + 400]:
                t = nxt.strip()
                if nxt.startswith("#"):
                    break
                if t.startswith("Caused by: "):
                    cause = t[len("Caused by: "):]
                elif t and first is None and not t.startswith("at "):
                    first = t
            name, _, msg = (cause or first or "unknown failure").partition(": ")
            out[key] = name.rsplit(".", 1)[-1] + (": " + msg[:80] if msg else "")
    return out


def ns(v):
    return "—" if v is None else (f"{v:,.0f}" if v >= 100 else f"{v:.1f}")


def div(a, b):
    return None if a is None or not b else a / b


def x(r):
    return "—" if r is None else f"{r:.2f}x"


class Tables:
    def __init__(self, res):
        self.res = res

    def r(self, name, backend=None):
        return self.res.get((name, backend), Result(failure="not run"))

    def ratio(self, a, b, best=False):
        return div(a.get(best), b.get(best))

    def cells(self, res):
        """ns/op, ±, best; or the failure across them."""
        if res.mean is None:
            return [f"failed: {res.failure}" if res.failure != "not run" else "not run", "", ""]
        return [ns(res.mean), "±" + ns(res.err) if res.err is not None else "", ns(res.best)]

    def verdict(self, a, b, aim):
        mean, best = self.ratio(a, b), self.ratio(a, b, True)
        if mean is None:
            return "—"
        v = "yes" if mean <= aim else "**no**"
        if best is not None and (best <= aim) != (mean <= aim):
            v += f" (best: {'yes' if best <= aim else 'no'})"
        return v


def row(*cells):
    return "| " + " | ".join(cells) + " |"


def render(res, jmh, a):
    t = Tables(res)
    cores, jdk = machine(a.java)
    L = [BEGIN, "## Coroutine core", "",
         f"- Command: `{a.command}` (JMH {jmh}: `{a.jmh_args.strip()}`; average time per op: "
         "one enter, wake, coroutine or nesting level)" + (f", run at niceness {a.nice}" if a.nice != "0" else ""),
         f"- Date: {a.date}; load average (1, 5, 15 min) at start: {a.load}, at end: {loadavg()}",
         f"- JDK: {jdk}",
         f"- Machine: {cores}",
         "- Each benchmark runs its loop inside the context (100,000 ops per invocation; 20 chains "
         "of 1000 for nesting), so the JMH thread's hand-off to a virtual thread (27-56 µs) is paid "
         "once per invocation, not per op; the raw baselines are shaped the same way.",
         "", "### Raw baselines", "",
         "| mechanism | under backend | ns/op | ± | best | reference point |", "|---|---|--:|--:|--:|--:|"]
    for b in BACKENDS:
        L.append(row(BASELINE[b][1], b, *t.cells(t.r(BASELINE[b][0])), BASELINE[b][2]))
    L += [row("`Continuation` create + run to its end", "continuation (lifecycle floor)", *t.cells(t.r(RAW_LIFE)), "—"),
          row("sigsetjmp/siglongjmp switch (QEMU, C)", "—", "not run here", "", "", "~18 ns"), ""]

    def vs_raw(title, bench, note, extra=None):
        L.extend([f"### {title}", "", note, "",
                  "| backend | ns/op | ± | best | raw ns/op | raw best | ÷ raw | ÷ raw, best | within 1.5x |"
                  + (f" {extra[0]} |" if extra else ""),
                  "|---|--:|--:|--:|--:|--:|--:|--:|:-:|" + ("--:|" if extra else "")])
        for b in BACKENDS:
            me, raw = t.r(bench, b), t.r(BASELINE[b][0])
            cells = [b, *t.cells(me), ns(raw.mean), ns(raw.best), x(t.ratio(me, raw)), x(t.ratio(me, raw, True)),
                     t.verdict(me, raw, ROUND_AIM)]
            if extra:
                cells.append(x(t.ratio(me, t.r(extra[1], b))))
            L.append(row(*cells))
        L.append("")

    vs_raw("Enter+yield round trip", ENTER,
           "A coroutine enters another, which yields straight back (`RoundTripBench.enterYield`).")
    vs_raw("wake() round trip", WAKE,
           "The context's loop re-enters a yielded coroutine with `wake()` (`RoundTripBench.wakeYield`).",
           ("÷ enter+yield", ENTER))
    vs_raw("wake() hand-off between two coroutines", PINGPONG,
           "Two coroutines of one context wake each other and yield, 100,000 turns in a row, as "
           "coroutines handing over a contended `CoMutex` do (`RoundTripBench.wakePingPong`).",
           ("÷ wake from loop", WAKE))

    L += ["### Lifecycle (create + enter + end)", "",
          "An empty coroutine is created, entered and ends (`LifecycleBench.createEnterEnd`).", "",
          "| backend | ns/op | ± | best | ÷ own round trip | ÷ round trip, best | within 2x | ÷ raw baseline |",
          "|---|--:|--:|--:|--:|--:|:-:|--:|"]
    for b in BACKENDS:
        me, rt = t.r(LIFE, b), t.r(ENTER, b)
        L.append(row(b, *t.cells(me), x(t.ratio(me, rt)), x(t.ratio(me, rt, True)), t.verdict(me, rt, LIFE_AIM),
                     x(t.ratio(me, t.r(BASELINE[b][0])))))
    L += ["", "### Nesting 1000 deep, per level", "",
          "Each coroutine creates and enters the next until the chain is 1000 long; per level "
          "(`NestingBench.nest1000`; `nest1000BigStack` is the continuation backend again with `-Xss4m`).", "",
          "| backend | ns/level | ± | best | ÷ own lifecycle | ÷ raw baseline |", "|---|--:|--:|--:|--:|--:|"]
    for label, me, b in [(b, t.r(NEST, b), b) for b in BACKENDS] + [("continuation, -Xss4m", t.r(NEST_BIG), "continuation")]:
        L.append(row(label, *t.cells(me), x(t.ratio(me, t.r(LIFE, b))), x(t.ratio(me, t.r(BASELINE[b][0])))))
    L += [""] + bars(t) + [""] + reading(t, max(float(a.load.split()[0]), float(loadavg().split()[0]))) + [END]
    return "\n".join(L) + "\n"


def bars(t):
    """A text plot of the round trips against their baselines (best iterations)."""
    rows = []
    for b in BACKENDS:
        rows += [(b, "corio", t.r(ENTER, b).best), ("", "raw", t.r(BASELINE[b][0]).best)]
    top = max((v for *_, v in rows if v), default=0)
    if not top:
        return []
    out = ["```text", "enter+yield round trip, best iteration, ns per op (corio vs the raw mechanism under it)"]
    for b, who, v in rows:
        out.append(f"{b:<15} {who:<6} {'█' * max(1, round(48 * v / top)) if v else ''} {ns(v) if v else 'no result'}")
    return out + ["```"]


def aim_line(t, title, pairs, aim):
    met, missed, flips = [], [], []
    for b, a, ref in pairs:
        r, rb = t.ratio(a, ref), t.ratio(a, ref, True)
        if r is None:
            continue
        (met if r <= aim else missed).append(f"{b} {r:.2f}x")
        if rb is not None and (rb <= aim) != (r <= aim):
            flips.append(f"{b} {rb:.2f}x")
    if not met and not missed:
        return []
    return [f"- **{title}:** " + (f"met by {', '.join(met)}" if met else "met by none")
            + (f"; missed by {', '.join(missed)}" if missed else "")
            + (f" (on best iterations the verdict flips for {', '.join(flips)})" if flips else "") + "."]


def reading(t, load):
    out = ["### Reading", ""]
    line = aim_line(t, "Round trip within 1.5x of the raw baseline",
                    [(b, t.r(ENTER, b), t.r(BASELINE[b][0])) for b in BACKENDS], ROUND_AIM)
    out += line and line + ["  corio runs the same mechanism plus its bookkeeping (state checks, the current-coroutine "
            "thread-local, the turn flag), so a ratio at or under 1 means that bookkeeping is lost in the "
            "mechanism's own variation, not that corio is faster."]
    line = aim_line(t, "Lifecycle within 2x of the round trip",
                    [(b, t.r(LIFE, b), t.r(ENTER, b)) for b in BACKENDS], LIFE_AIM)
    out += line and line + ["  The virtual backends take a pooled worker thread, so a lifecycle costs about one hand-off "
            "round trip; a continuation cannot be reused, but an empty one never yields, so its stack is "
            f"never frozen (raw create + run to its end: {ns(t.r(RAW_LIFE).best)} ns at best)."]
    nest = t.r(NEST, "continuation")
    if nest.mean is None and nest.failure and nest.failure != "not run":
        big = t.r(NEST_BIG).best
        out.append(f"- **Nesting 1000 deep fails on continuation** ({nest.failure}) with the default 1 MB "
                   "thread stack: a nested enter runs the inner continuation on top of its enterer's frames, "
                   "so the whole chain shares the loop thread's one stack, where QEMU gives each coroutine its "
                   "own. " + (f"With `-Xss4m` a level costs {ns(big)} ns at best. " if big else "")
                   + "The virtual backends are not limited this way: each level is a virtual thread with its own stack.")
    slow, failed = [], []
    for b in BACKENDS:
        pp, w = t.r(PINGPONG, b), t.r(WAKE, b)
        r = t.ratio(pp, w, True)
        if r is not None and r > 1.3:
            slow.append(f"{b} {r:.1f}x")
        elif pp.mean is None and pp.failure not in (None, "not run"):
            failed.append(f"{b} ({pp.failure})")
    if slow or failed:
        out.append("- **A chain of wakes between coroutines degrades:** "
                   + (f"slower than a wake from the loop on {', '.join(slow)} (best iterations)" if slow else "")
                   + ("; " if slow and failed else "") + (f"fails on {', '.join(failed)}" if failed else "")
                   + ". A coroutine woken by another is entered by the waker's enterer right after the waker "
                   "yields, from inside that enter (`Coroutine.runWakeups` -> `runWake` -> `enterChecked`), so "
                   "each hand-off in a chain nests one more enter on the loop's stack until the chain ends. "
                   "QEMU's `qemu_aio_coroutine_enter` drains the same queue in a loop instead.")
    noisy = [(f"{n}{' ' + b if b else ''}", r.err / r.mean) for (n, b), r in sorted(t.res.items(), key=str)
             if r.err is not None and r.mean and r.err / r.mean > NOISY]
    busy = load > (os.cpu_count() or 1) / 2
    if noisy or busy:
        what = ", ".join(f"{n} ±{100 * e:.0f}%" for n, e in noisy)
        if len(noisy) > 4:
            worst = max(noisy, key=lambda ne: ne[1])
            what = f"{len(noisy)} of {sum(1 for r in t.res.values() if r.mean)} results (worst: {worst[0]} ±{100 * worst[1]:.0f}%)"
        out.append("- **Noisy:** " + (f"error above {NOISY:.0%} of the score on {what}. " if noisy else "")
                   + f"The machine has {os.cpu_count()} cores"
                   + (f" and its load average reached {load:.1f} during the run: other builds were running, which "
                      "hurts the hand-off benchmarks most (a woken thread needs a free core)" if busy else "")
                   + ". The best-iteration columns are the steadier figures; rerun (`--full`) on a quiet machine "
                   "before reading small differences.")
    elif all(r.err is not None for r in t.res.values() if r.mean):
        out.append(f"- Every error bar is within {NOISY:.0%} of its score.")
    return out + [""]


def machine(java):
    cpu = "unknown CPU"
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        jv = subprocess.run([java, "-version"], capture_output=True, text=True).stderr.splitlines()
        jdk = jv[1].strip() if len(jv) > 1 else jv[0].strip()
    except (OSError, IndexError):
        jdk = "unknown JDK"
    return f"{os.cpu_count()} cores ({cpu})", jdk


def loadavg():
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "0 0 0"


def splice(doc, section, begin=BEGIN, end=END):
    """The doc's text with the section between begin and end replaced (or appended)."""
    text = open(doc).read() if os.path.exists(doc) else INTRO
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        return head + section.rstrip("\n") + rest.split(end, 1)[1]
    return text.rstrip("\n") + "\n\n" + section


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--json", required=True, help="JMH result file (-rf json)")
    p.add_argument("--console", help="JMH console log, to name the failures")
    p.add_argument("--doc", required=True, help="the Markdown file to update")
    p.add_argument("--command", default="./corio bench core")
    p.add_argument("--jmh-args", default="")
    p.add_argument("--date", default=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    p.add_argument("--load", default=loadavg(), help="load average when the run started")
    p.add_argument("--nice", default="0", help="niceness the run had")
    p.add_argument("--java", default="java")
    a = p.parse_args()
    res, jmh = load(a.json, a.console)
    text = splice(a.doc, render(res, jmh, a))
    os.makedirs(os.path.dirname(os.path.abspath(a.doc)), exist_ok=True)
    with open(a.doc, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
