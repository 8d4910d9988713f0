#!/usr/bin/env python3
"""Summarise a run's host-thread timeline (written with BOHR_TIMELINE=FILE,
see the README's "Where a cell's wall time goes"): per thread, how much of
the recorded stretch it ran guest code, waited for a lane or idled; per
guest process, when its turns began and ended and where its time went;
how late an idle lane started the runs the world waited for; the system
calls that took longest in all.

    scripts/timeline-summary.py FILE [BIN_MS]

Pids are those of the guest: a run of several cells merges each pid's
rows across cells (record one cell for a per-process view; the threads'
rows hold for any run).

With BIN_MS, also one line per BIN_MS milliseconds and thread: the share
of that stretch each process (t: a turn on the world, r: a run on a lane
the world waits for, a: a slice run ahead; W: the world waits) took.
"""
import bisect
import collections
import json
import sys

doc = json.load(open(sys.argv[1]))
spans = [e for e in doc["traceEvents"] if e["ph"] == "X"]
threads = {e["tid"]: e["args"]["name"] for e in doc["traceEvents"] if e["ph"] == "M"}
if not spans:
    sys.exit("no spans recorded")
t0 = min(e["ts"] for e in spans)
t1 = max(e["ts"] + e["dur"] for e in spans)
ms = lambda us: us / 1000
print(f"recorded stretch: {ms(t1 - t0):.1f} ms (from {ms(t0):.1f} ms after start)")
if doc.get("otherData", {}).get("dropped_spans"):
    print(f"dropped spans: {doc['otherData']['dropped_spans']}")

WORK = ("turn", "run", "ahead")
print("\nthread            busy     wait     idle")
for tid, name in sorted(threads.items()):
    mine = [e for e in spans if e["tid"] == tid]
    busy = sum(e["dur"] for e in mine if e["cat"] in WORK)
    wait = sum(e["dur"] for e in mine if e["cat"] == "wait")
    idle = (t1 - t0) - busy - wait
    print(f"{name:14} {ms(busy):7.1f}  {ms(wait):7.1f}  {ms(idle):7.1f} ms")

print("\npid   first    last   world turns (syscalls)   on a lane (run / ahead)")
per = collections.defaultdict(lambda: collections.Counter())
first, last = {}, {}
for e in spans:
    p = e["args"]["pid"]
    if not p:
        continue
    per[p][e["cat"]] += e["dur"]
    first[p] = min(first.get(p, e["ts"]), e["ts"])
    last[p] = max(last.get(p, 0), e["ts"] + e["dur"])
for p in sorted(per):
    c = per[p]
    print(f"{p:3} {ms(first[p] - t0):7.1f} {ms(last[p] - t0):7.1f} {ms(c['turn'] + c['lane turn']):9.1f} ms"
          f" ({ms(c['syscall']):5.1f} ms)   {ms(c['run']):6.1f} / {ms(c['ahead']):6.1f} ms")

# How long after the world began to wait did a lane start the run it
# waited for, when that lane had nothing else to do? A few microseconds
# with the two threads on their own cores; about 20 (the world's spin
# before it yields) each time when they share one (see the README's "Two
# threads on one core").
late, n_late = 0.0, 0
for tid in threads:
    lane = sorted((e for e in spans if e["tid"] == tid and e["cat"] in ("run", "ahead")),
                  key=lambda e: e["ts"])
    if not lane:
        continue
    starts = [e["ts"] for e in lane]
    for w in spans:
        if w["cat"] != "wait" or w["tid"] == tid:
            continue
        i = bisect.bisect_left(starts, w["ts"])
        if i == len(lane) or lane[i]["cat"] != "run" or lane[i]["ts"] > w["ts"] + w["dur"]:
            continue
        if i > 0 and lane[i - 1]["ts"] + lane[i - 1]["dur"] > w["ts"]:
            continue  # the lane was busy when asked
        late += lane[i]["ts"] - w["ts"]
        n_late += 1
if n_late:
    print(f"\nlanes idle when asked for a run: {n_late} times, started it {ms(late):.2f} ms late in all")

calls = collections.Counter()
count = collections.Counter()
for e in spans:
    if e["cat"] == "syscall":
        name = e["name"].rsplit(" ", 1)[0]
        calls[name] += e["dur"]
        count[name] += 1
if calls:
    print("\nsystem calls by time: " + ", ".join(
        f"{n} {ms(v):.2f} ms ({count[n]})" for n, v in calls.most_common(8)))

if len(sys.argv) > 2:
    b = float(sys.argv[2]) * 1000
    n = int((t1 - t0) // b) + 1
    acc = collections.defaultdict(lambda: [collections.Counter() for _ in range(n)])
    for e in spans:
        if e["cat"] in ("lane turn", "syscall"):
            continue  # inside turns; a lane turn's waits and work have spans of their own
        label = "W" if e["cat"] == "wait" else f'{e["cat"][0]}{e["args"]["pid"]}'
        s, end = e["ts"] - t0, e["ts"] - t0 + e["dur"]
        while s < end:
            i = int(s // b)
            cut = min(end, (i + 1) * b)
            acc[e["tid"]][i][label] += cut - s
            s = cut
    for tid, name in sorted(threads.items()):
        print(f"\n{name}")
        for i, c in enumerate(acc[tid]):
            parts = " ".join(f"{k}:{100 * v / b:.0f}%" for k, v in c.most_common(4))
            print(f"  {ms(i * b):6.1f} ms  {parts}")
