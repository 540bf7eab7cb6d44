#!/usr/bin/env python3
"""Renders the coroutine-core JMH results (JSON) into docs/benchmarks.md.

Writes everything between <!-- core:begin --> and <!-- core:end -->, creating the file
(title and intro) or the section when missing and leaving other sections alone. The
reading at the end is computed from the numbers: the aims are the issue's (each backend's
round trip within 1.5x of its raw baseline, lifecycle within 2x of its round trip).
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
RAW_LIFECYCLE = "RawBaselineBench.continuationLifecycle"
ROUND_AIM, LIFECYCLE_AIM, NOISY = 1.5, 2.0, 0.10

INTRO = """# corio benchmarks

Results of the JMH benchmarks in `benchmarks/`, each section written by the script that
ran it (do not edit between the markers). Numbers are averages per operation; `±` is
JMH's 99.9% confidence half-width. Raw baselines are measured in the same run as what
they are compared with.
"""


def load(path):
    """(short name, backend or None) -> JMH result, and the first result (for the JVM)."""
    with open(path) as f:
        rows = json.load(f)
    out = {}
    for r in rows:
        name = ".".join(r["benchmark"].split(".")[-2:])
        out[(name, r.get("params", {}).get("backend"))] = r
    return out, (rows[0] if rows else {})


def failures(console):
    """(short name, backend or None) -> the exception that ended the run, from JMH's console log."""
    out, key = {}, None
    if not console or not os.path.exists(console):
        return out
    lines = open(console, errors="replace").read().splitlines()
    for i, line in enumerate(lines):
        if line.startswith("# Benchmark: "):
            key = (".".join(line.split()[-1].split(".")[-2:]), None)
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
            out[key] = short_exception(cause or first or "unknown failure")
    return out


def short_exception(text):
    """'java.lang.StackOverflowError: msg' -> 'StackOverflowError: msg' (message cut short)."""
    name, _, msg = text.partition(": ")
    name = name.rsplit(".", 1)[-1]
    return name + (": " + msg[:80] if msg else "")


def score(res, key):
    r = res.get(key)
    if not r:
        return None, None
    m = r["primaryMetric"]
    err = m["scoreError"]
    err = None if isinstance(err, str) or err is None or math.isnan(err) else err
    return m["score"], err


def ns(v):
    if v is None:
        return "—"
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}"


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def x(r):
    return "—" if r is None else f"{r:.2f}x"


def verdict(r, aim):
    return "—" if r is None else ("yes" if r <= aim else "**no**")


def cell(res, fails, key):
    """ns/op and error cells, or the failure in their place."""
    s, e = score(res, key)
    if s is None:
        why = fails.get(key)
        return ("failed: " + why if why else "not run"), ""
    return ns(s), ("±" + ns(e) if e is not None else "")


def machine(java):
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        jv = subprocess.run([java, "-version"], capture_output=True, text=True).stderr.splitlines()
        jdk = jv[1].strip() if len(jv) > 1 else jv[0].strip()
    except (OSError, IndexError):
        jdk = "unknown JDK"
    return f"{os.cpu_count()} cores ({cpu})", jdk


def bars(res):
    """A text plot of the round trips against their baselines."""
    rows = []
    for b in BACKENDS:
        rows.append((b, "corio", score(res, ("RoundTripBench.enterYield", b))[0]))
        rows.append(("", "raw", score(res, (BASELINE[b][0], None))[0]))
    top = max((v for _, _, v in rows if v), default=0)
    if not top:
        return []
    out = ["```text", "enter+yield round trip, ns per op (corio vs the raw mechanism under it)"]
    for b, who, v in rows:
        bar = "█" * max(1, round(48 * v / top)) if v else ""
        out.append(f"{b:<15} {who:<6} {bar} {ns(v) if v else 'no result'}")
    out.append("```")
    return out


def render(res, fails, first, a):
    cores, jdk = machine(a.java)
    g = lambda k: score(res, k)[0]
    L = [BEGIN, "## Coroutine core", "",
         f"- Command: `{a.command}` (JMH {first.get('jmhVersion', '?')}: `{a.jmh_args.strip()}`, "
         "average time per op, one op per enter, wake, coroutine or level)",
         f"- Date: {a.date}; load average at start: {a.load}",
         f"- JDK: {jdk}",
         f"- Machine: {cores}",
         "- Each benchmark runs its loop inside the context (100,000 ops per invocation; "
         "20 chains of 1000 for nesting), so the JMH thread's hand-off to a virtual thread "
         "(27-56 µs) is paid once per invocation, not per op; the raw baselines are shaped the same way.",
         ""]

    L += ["### Raw baselines", "",
          "| mechanism | under backend | ns/op | ± | reference point |", "|---|---|--:|--:|--:|"]
    for b in BACKENDS:
        c = cell(res, fails, (BASELINE[b][0], None))
        L.append(f"| {BASELINE[b][1]} | {b} | {c[0]} | {c[1]} | {BASELINE[b][2]} |")
    c = cell(res, fails, (RAW_LIFECYCLE, None))
    L += [f"| `Continuation` create + run to its end | continuation (lifecycle floor) | {c[0]} | {c[1]} | — |",
          "| sigsetjmp/siglongjmp switch (QEMU, C) | — | not run here | | ~18 ns |", ""]

    def vs_raw_table(title, bench, note, extra=None):
        head = "| backend | ns/op | ± | raw baseline ns/op | ÷ raw | within 1.5x |"
        if extra:
            head += f" {extra[0]} |"
        L.extend([f"### {title}", "", note, "", head, "|---|--:|--:|--:|--:|:-:|" + ("--:|" if extra else "")])
        for b in BACKENDS:
            c, raw = cell(res, fails, (bench, b)), g((BASELINE[b][0], None))
            r = ratio(g((bench, b)), raw)
            row = f"| {b} | {c[0]} | {c[1]} | {ns(raw)} | {x(r)} | {verdict(r, ROUND_AIM)} |"
            if extra:
                row += f" {x(ratio(g((bench, b)), g((extra[1], b))))} |"
            L.append(row)
        L.append("")

    vs_raw_table("Enter+yield round trip", "RoundTripBench.enterYield",
                 "A coroutine enters another, which yields straight back (`RoundTripBench.enterYield`).")
    vs_raw_table("wake() round trip", "RoundTripBench.wakeYield",
                 "The context's loop re-enters a yielded coroutine with `wake()` (`RoundTripBench.wakeYield`).",
                 ("÷ enter+yield", "RoundTripBench.enterYield"))
    vs_raw_table("wake() hand-off between two coroutines", "RoundTripBench.wakePingPong",
                 "Two coroutines of one context wake each other and yield, 100,000 turns in a row: "
                 "the hand-off under a contended `CoMutex` (`RoundTripBench.wakePingPong`).",
                 ("÷ wake from loop", "RoundTripBench.wakeYield"))

    L += ["### Lifecycle (create + enter + end)", "",
          "An empty coroutine is created, entered and ends (`LifecycleBench.createEnterEnd`).", "",
          "| backend | ns/op | ± | ÷ own round trip | within 2x | raw baseline ns/op | ÷ raw |",
          "|---|--:|--:|--:|:-:|--:|--:|"]
    for b in BACKENDS:
        c, life = cell(res, fails, ("LifecycleBench.createEnterEnd", b)), g(("LifecycleBench.createEnterEnd", b))
        r = ratio(life, g(("RoundTripBench.enterYield", b)))
        raw = g((BASELINE[b][0], None))
        L.append(f"| {b} | {c[0]} | {c[1]} | {x(r)} | {verdict(r, LIFECYCLE_AIM)} | {ns(raw)} | {x(ratio(life, raw))} |")
    L.append("")

    L += ["### Nesting 1000 deep, per level", "",
          "Each coroutine creates and enters the next until the chain is 1000 long; per level "
          "(`NestingBench.nest1000`; `nest1000BigStack` is the continuation backend with `-Xss4m`).", "",
          "| backend | ns/level | ± | ÷ own lifecycle | ÷ raw baseline |", "|---|--:|--:|--:|--:|"]
    for b, key in [(b, ("NestingBench.nest1000", b)) for b in BACKENDS] + \
                  [("continuation, -Xss4m", ("NestingBench.nest1000BigStack", None))]:
        base = b.split(",")[0]
        c, v = cell(res, fails, key), g(key)
        L.append(f"| {b} | {c[0]} | {c[1]} | {x(ratio(v, g(('LifecycleBench.createEnterEnd', base))))} "
                 f"| {x(ratio(v, g((BASELINE[base][0], None))))} |")
    L.append("")
    L += bars(res) + [""] + reading(res, fails, float(a.load.split()[0])) + [END]
    return "\n".join(L) + "\n"


def reading(res, fails, load):
    g = lambda k: score(res, k)[0]
    out = ["### Reading", ""]
    met, missed = [], []
    for b in BACKENDS:
        r = ratio(g(("RoundTripBench.enterYield", b)), g((BASELINE[b][0], None)))
        if r is not None:
            (met if r <= ROUND_AIM else missed).append(f"{b} {r:.2f}x")
    if met or missed:
        out.append("- **Round trip within 1.5x of the raw baseline:** "
                   + (f"met by {', '.join(met)}" if met else "met by none")
                   + (f"; missed by {', '.join(missed)}" if missed else "") + ". "
                   "corio runs the same mechanism plus its bookkeeping (state checks, the current-coroutine "
                   "thread-local, the turn flag), so a ratio at or under 1 says that bookkeeping is lost in "
                   "the mechanism's own run-to-run variation, not that corio is faster.")
    met, missed = [], []
    for b in BACKENDS:
        r = ratio(g(("LifecycleBench.createEnterEnd", b)), g(("RoundTripBench.enterYield", b)))
        if r is not None:
            (met if r <= LIFECYCLE_AIM else missed).append(f"{b} {r:.2f}x")
    if met or missed:
        out.append("- **Lifecycle within 2x of the round trip:** "
                   + (f"met by {', '.join(met)}" if met else "met by none")
                   + (f"; missed by {', '.join(missed)}" if missed else "") + ". "
                   "The virtual backends take a pooled worker thread, so a lifecycle is about one hand-off "
                   "round trip; a continuation cannot be reused, but an empty one never yields, so its stack "
                   f"is never frozen (raw create + run to its end: {ns(g((RAW_LIFECYCLE, None)))} ns).")
    nest_fail = fails.get(("NestingBench.nest1000", "continuation"))
    if nest_fail and g(("NestingBench.nest1000", "continuation")) is None:
        big = g(("NestingBench.nest1000BigStack", None))
        out.append(f"- **Nesting on continuation fails** ({nest_fail}) with the default 1 MB thread stack: a "
                   "nested enter runs the inner continuation on top of its enterer's frames, so the whole "
                   "chain shares the loop thread's one stack (QEMU gives each coroutine its own). "
                   + (f"With `-Xss4m` a level costs {ns(big)} ns. " if big else "")
                   + "The virtual backends are not limited this way: each level is a virtual thread with a stack of its own.")
    pp = [(b, g(("RoundTripBench.wakePingPong", b)), g(("RoundTripBench.wakeYield", b))) for b in BACKENDS]
    slow = [f"{b} {p / w:.1f}x" for b, p, w in pp if p and w and p / w > 1.3]
    failed = [f"{b} ({fails[('RoundTripBench.wakePingPong', b)]})" for b, p, _ in pp
              if p is None and ("RoundTripBench.wakePingPong", b) in fails]
    if slow or failed:
        out.append("- **Hand-off between two coroutines degrades:** "
                   + (f"slower than a wake from the loop on {', '.join(slow)}" if slow else "")
                   + ("; " if slow and failed else "") + (f"fails on {', '.join(failed)}" if failed else "")
                   + ". A coroutine woken by another is entered by the waker's enterer right after the "
                   "waker yields, from inside that enter (`Coroutine.runWakeups` -> `runWake` -> "
                   "`enterChecked`), so every hand-off in a chain nests one more enter on the loop's stack "
                   "until the chain stops. QEMU's `qemu_aio_coroutine_enter` drains the same queue in a loop.")
    noisy, bare = [], 0
    for (name, b) in sorted(res, key=lambda k: (k[0], str(k[1]))):
        s, e = score(res, (name, b))
        if e is None:
            bare += 1
        elif s and e / s > NOISY:
            noisy.append(f"{name}{' ' + b if b else ''} ±{100 * e / s:.0f}%")
    busy = load > (os.cpu_count() or 1) / 2
    if noisy or busy:
        out.append("- **Noisy:** " + (f"error above {NOISY:.0%} of the score on {', '.join(noisy)}. " if noisy else "")
                   + f"The machine has {os.cpu_count()} cores"
                   + (f" and the load average was {load:.1f} when the run started: other builds were running, "
                      "which costs the hand-off benchmarks most (they need a free core to wake on)" if busy else "")
                   + ". Rerun with `--full` on a quiet machine before reading small differences.")
    elif not bare:
        out.append(f"- Every error bar is within {NOISY:.0%} of its score.")
    if bare:
        out.append(f"- {bare} result(s) have no error bar: too few measurement iterations for one.")
    return out + [""]


def splice(doc, section):
    text = open(doc).read() if os.path.exists(doc) else INTRO
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        return head + section.rstrip("\n") + rest.split(END, 1)[1]
    return text.rstrip("\n") + "\n\n" + section


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--json", required=True)
    p.add_argument("--console")
    p.add_argument("--doc", required=True)
    p.add_argument("--command", default="./corio bench core")
    p.add_argument("--jmh-args", default="")
    p.add_argument("--date", default=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    p.add_argument("--load", default=" ".join(open("/proc/loadavg").read().split()[:3]))
    p.add_argument("--java", default="java")
    a = p.parse_args()
    res, first = load(a.json)
    text = splice(a.doc, render(res, failures(a.console), first, a))
    os.makedirs(os.path.dirname(os.path.abspath(a.doc)), exist_ok=True)
    with open(a.doc, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
