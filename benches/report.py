#!/usr/bin/env python3
"""Tables and a chart from criterion's results (python3 standard library only).

Reads target/criterion/**/new/{benchmark,estimates}.json and the allocation
counts the benches write to target/criterion/allocations/*.tsv, then:

  - prints Markdown tables (throughput, ratios, allocations per event) and the
    targets with whether each is met;
  - writes an SVG bar chart (--svg);
  - with --update FILE, replaces the text between the lines
    `<!-- report:begin -->` and `<!-- report:end -->` of FILE with the tables.

    python3 benches/report.py --svg benches/results.svg --update BENCHMARKS.md

Times are criterion's median per iteration (robust on a shared machine); the
column "range" gives the 95% confidence interval of the mean as throughputs.
"""

import argparse
import glob
import json
import math
import os
import sys
from html import escape

BASELINES = ("memchr2", "memcpy")
OURS_PREFIX = "ours"
# The simplest decoder a user would write: the floor ours must beat. Not a peer.
NAIVE = "naive"
# The peers driven as a stream of items over a stream of pieces, as
# `ours-stream` is.
ASYNC_PEERS = ("sse-stream", "eventsource-stream", "sseer", "russe", "eventsource-client")

# Decoder groups in display order, with a note on each.
GROUPS = [
    ("W1-llm/4096", "20,000 LLM chat-completion chunks + [DONE], 4096-byte pieces"),
    ("W1-llm/7", "the same in 7-byte pieces"),
    ("W2-big/4096", "64 events of 256 KiB single-line data, 4096-byte pieces"),
    ("W3-multiline/4096", "20,000 events: event, id, 8 data lines of 60-100 bytes"),
    ("W4-tiny/4096", "200,000 `data: x` events, each followed by `: ping`"),
    ("W5-crlf/4096", "W3 with CRLF line endings"),
    ("W6-huge-line/whole", "one 64 MiB data line, fed whole"),
    ("W6-huge-line/64", "one 64 MiB data line, fed in 64-byte pieces"),
    ("E1-llm", "encode the W1 events (events/s)"),
    ("E2-big", "encode the W2 events (bytes/s)"),
]


def load(criterion_dir):
    """{group: {function: result}} from criterion's output directory."""
    results = {}
    for path in glob.glob(os.path.join(criterion_dir, "**", "new", "benchmark.json"), recursive=True):
        new = os.path.dirname(path)
        with open(path) as f:
            bench = json.load(f)
        with open(os.path.join(new, "estimates.json")) as f:
            est = json.load(f)
        throughput = bench.get("throughput") or {}
        kind, amount = next(iter(throughput.items())) if throughput else (None, None)
        mean_ci = est["mean"]["confidence_interval"]
        results.setdefault(bench["group_id"], {})[bench["function_id"]] = {
            "median_ns": est["median"]["point_estimate"],
            "mean_lo_ns": mean_ci["lower_bound"],
            "mean_hi_ns": mean_ci["upper_bound"],
            "kind": kind,
            "amount": amount,
        }
    allocations = {}
    for path in glob.glob(os.path.join(criterion_dir, "allocations", "*.tsv")):
        group = os.path.basename(path)[: -len(".tsv")]
        with open(path) as f:
            rows = [line.rstrip("\n").split("\t") for line in f][1:]
        for name, count, nbytes, events in rows:
            allocations[(group, name)] = (int(count), int(nbytes), int(events))
    return results, allocations


def rate(result, ns):
    """Throughput per second at `ns` per iteration: bytes/s or elements/s."""
    return result["amount"] / (ns * 1e-9)


def fmt_rate(kind, per_second):
    if kind == "Elements":
        return f"{per_second / 1e6:.2f} M events/s"
    if per_second >= 1 << 30:
        return f"{per_second / (1 << 30):.2f} GiB/s"
    return f"{per_second / (1 << 20):.0f} MiB/s"


def is_peer(name):
    return not name.startswith(OURS_PREFIX) and name not in BASELINES and name != NAIVE


def ratio(a, b):
    return a / b if b else float("nan")


def group_table(group, funcs, allocations):
    """A Markdown table for one group, fastest first."""
    rates = {name: rate(r, r["median_ns"]) for name, r in funcs.items()}
    peers = [n for n in funcs if is_peer(n)]
    fastest_peer = max(peers, key=rates.get) if peers else None
    kind = next(iter(funcs.values()))["kind"]
    head = ("| contender | throughput (median) | range (95% CI of mean) | vs fastest peer | vs naive "
            "| vs memchr2 | allocations/event |")
    lines = [head, "|---|---:|---:|---:|---:|---:|---:|"]
    for name in sorted(funcs, key=lambda n: -rates[n]):
        r = funcs[name]
        lo = fmt_rate(kind, rate(r, r["mean_hi_ns"]))
        hi = fmt_rate(kind, rate(r, r["mean_lo_ns"]))
        vs_peer = f"{ratio(rates[name], rates[fastest_peer]):.2f}x" if fastest_peer else "-"
        vs_naive = f"{ratio(rates[name], rates[NAIVE]):.2f}x" if NAIVE in rates else "-"
        vs_memchr = f"{ratio(rates[name], rates['memchr2']):.2f}" if "memchr2" in rates else "-"
        alloc = allocations.get((group.replace("/", "_"), name))
        alloc_text = f"{alloc[0] / max(alloc[2], 1):.2f}" if alloc else "-"
        label = f"**{name}**" if name.startswith(OURS_PREFIX) or (group.startswith("E") and name == "ours") else name
        lines.append(f"| {label} | {fmt_rate(kind, rates[name])} | {lo} - {hi} | {vs_peer} | {vs_naive} "
                     f"| {vs_memchr} | {alloc_text} |")
    return "\n".join(lines)


def targets(results):
    """(description, measured, met) for each target of the issue."""
    out = []

    def rates(group):
        funcs = results.get(group, {})
        return {name: rate(r, r["median_ns"]) for name, r in funcs.items()}

    def vs_fastest_peer(group, ours="ours-event"):
        r = rates(group)
        peers = {n: v for n, v in r.items() if is_peer(n)}
        if ours not in r or not peers:
            return None, None
        best = max(peers, key=peers.get)
        return r[ours] / peers[best], best

    for group, want in [
        ("W1-llm/4096", 1.5),
        ("W1-llm/7", 1.5),
        ("W2-big/4096", 1.5),
        ("W3-multiline/4096", 1.5),
        ("W4-tiny/4096", 1.5),
        ("W5-crlf/4096", 1.5),
    ]:
        x, best = vs_fastest_peer(group)
        if x is not None:
            out.append((f"decode {group}: >= {want}x fastest peer ({best})", f"{x:.2f}x", x >= want))
    for group, want in [
        ("W1-llm/4096", 1.1),
        ("W1-llm/7", 1.0),
        ("W2-big/4096", 1.0),
        ("W3-multiline/4096", 1.1),
        ("W4-tiny/4096", 1.1),
        ("W5-crlf/4096", 1.1),
        ("W6-huge-line/whole", 1.0),
        ("W6-huge-line/64", 1.0),
    ]:
        r = rates(group)
        if "ours-event" in r and NAIVE in r:
            x = r["ours-event"] / r[NAIVE]
            out.append((f"decode {group}: >= {want}x naive", f"{x:.2f}x", x >= want))
    # The client adapter (`ours-stream`, owned items over a stream of pieces)
    # against the plain decoder and the peers' own async adapters.
    for group in ("W1-llm/4096", "W4-tiny/4096"):
        r = rates(group)
        if "ours-stream" in r and "ours-event" in r:
            x = r["ours-stream"] / r["ours-event"]
            out.append((f"adapter {group}: ours-stream within 10% of ours-event", f"{x:.2f}x", x >= 0.9))
        peers = {n: r[n] for n in ASYNC_PEERS if n in r}
        if "ours-stream" in r and peers:
            best = max(peers, key=peers.get)
            x = r["ours-stream"] / peers[best]
            out.append((f"adapter {group}: ours-stream ahead of every async peer ({best})", f"{x:.2f}x", x > 1.0))
    whole, pieces = results.get("W6-huge-line/whole", {}), results.get("W6-huge-line/64", {})
    for name in ("ours-event", "ours-field"):
        if name in whole and name in pieces:
            x = pieces[name]["median_ns"] / whole[name]["median_ns"]
            out.append((f"W6 {name}: 64-byte pieces within 2x of whole", f"{x:.2f}x the time", x <= 2.0))
    r = rates("E1-llm")
    peers = {n: r[n] for n in ("axum", "sse-stream") if n in r}
    if "ours" in r and peers:
        best = max(peers, key=peers.get)
        x = r["ours"] / peers[best]
        out.append((f"encode E1-llm: >= 3x the faster of axum and sse-stream ({best}), events/s", f"{x:.2f}x", x >= 3.0))
    r = rates("E2-big")
    if "ours" in r and "memcpy" in r:
        x = r["ours"] / r["memcpy"]
        out.append(("encode E2-big: >= 50% of memcpy", f"{x * 100:.0f}%", x >= 0.5))
    return out


def markdown(results, allocations):
    parts = []
    known = [g for g, _ in GROUPS if g in results]
    extra = sorted(g for g in results if g not in dict(GROUPS))
    notes = dict(GROUPS)
    parts.append("### Targets\n")
    parts.append("| target | measured | met |\n|---|---:|:---:|")
    for desc, measured, met in targets(results):
        parts.append(f"| {desc} | {measured} | {'yes' if met else '**no**'} |")
    for group in known + extra:
        parts.append(f"\n### {group}\n")
        if group in notes:
            parts.append(notes[group] + ".\n")
        parts.append(group_table(group, results[group], allocations))
    return "\n".join(parts) + "\n"


def svg_chart(results):
    """Horizontal bars, one panel per group, on one log scale per unit."""
    groups = [g for g, _ in GROUPS if g in results] + sorted(g for g in results if g not in dict(GROUPS))
    bar_h, gap, label_w, plot_w, title_h = 14, 3, 170, 520, 34

    def unit_of(kind):
        return (1e6, "M events/s") if kind == "Elements" else (float(1 << 20), "MiB/s")

    # One scale per unit, so bars of different groups compare.
    scale = {}
    for group in groups:
        for r in results[group].values():
            unit, _ = unit_of(r["kind"])
            v = rate(r, r["median_ns"]) / unit
            lo, hi = scale.get(r["kind"], (v, v))
            scale[r["kind"]] = (min(lo, v), max(hi, v))
    scale = {k: (10 ** math.floor(math.log10(max(lo, 1e-3))), 10 ** math.ceil(math.log10(hi)))
             for k, (lo, hi) in scale.items()}
    panels = []
    y = 30
    for group in groups:
        funcs = results[group]
        kind = next(iter(funcs.values()))["kind"]
        rates = {n: rate(r, r["median_ns"]) for n, r in funcs.items()}
        names = sorted(funcs, key=lambda n: -rates[n])
        panels.append((group, kind, names, rates, y))
        y += title_h + len(names) * (bar_h + gap) + 14
    height = y + 10
    width = label_w + plot_w + 110
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="10" y="18" font-size="14" font-weight="bold">sse-core benchmarks: median throughput, '
        f"log scale (ours blue, naive green, peers orange, baselines grey)</text>",
    ]
    for group, kind, names, rates, top in panels:
        unit, unit_name = unit_of(kind)
        lo, hi = scale[kind]

        def x_of(v, lo=lo, hi=hi):
            return label_w + plot_w * (math.log10(max(v, lo)) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))

        out.append(f'<text x="10" y="{top + 14}" font-weight="bold">{escape(group)}</text>')
        note = dict(GROUPS).get(group, "")
        out.append(f'<text x="{label_w}" y="{top + 14}" fill="#444">{escape(note)} [{unit_name}]</text>')
        bottom = top + title_h + len(names) * (bar_h + gap)
        decade = lo
        while decade <= hi * 1.0001:
            gx = x_of(decade)
            out.append(f'<line x1="{gx:.1f}" y1="{top + title_h - 4}" x2="{gx:.1f}" y2="{bottom}" stroke="#ddd"/>')
            out.append(f'<text x="{gx:.1f}" y="{top + title_h - 6}" fill="#888" text-anchor="middle">{decade:g}</text>')
            decade *= 10
        for i, name in enumerate(names):
            value = rates[name] / unit
            by = top + title_h + i * (bar_h + gap)
            if name.startswith(OURS_PREFIX):
                color = "#1f6fd1"
            elif name == NAIVE:
                color = "#3a9a4a"
            elif name in BASELINES:
                color = "#aaaaaa"
            else:
                color = "#e08a2c"
            out.append(f'<text x="{label_w - 6}" y="{by + bar_h - 3}" text-anchor="end">{escape(name)}</text>')
            out.append(f'<rect x="{label_w}" y="{by}" width="{max(x_of(value) - label_w, 1):.1f}" '
                       f'height="{bar_h}" fill="{color}"/>')
            out.append(f'<text x="{x_of(value) + 4:.1f}" y="{by + bar_h - 3}">{value:,.1f}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    default_dir = os.environ.get("CRITERION_HOME") or os.path.join(
        os.environ.get("CARGO_TARGET_DIR") or os.path.join(here, "..", "target"), "criterion")
    parser.add_argument("--criterion", default=default_dir, help="criterion output directory")
    parser.add_argument("--svg", help="write the chart here")
    parser.add_argument("--update", help="replace the report section of this Markdown file")
    args = parser.parse_args()
    results, allocations = load(args.criterion)
    if not results:
        sys.exit(f"no criterion results under {args.criterion}: run `cargo bench -p benches` first")
    text = markdown(results, allocations)
    print(text)
    if args.svg:
        with open(args.svg, "w") as f:
            f.write(svg_chart(results))
    if args.update:
        with open(args.update) as f:
            doc = f.read()
        # The markers count only on lines of their own, so prose may name them.
        begin, end = "\n<!-- report:begin -->\n", "\n<!-- report:end -->\n"
        if begin not in doc or end not in doc:
            sys.exit(f"{args.update} has no {begin.strip()} ... {end.strip()} section")
        head, rest = doc.split(begin, 1)
        _, tail = rest.split(end, 1)
        with open(args.update, "w") as f:
            f.write(head + begin + text + end + tail)


if __name__ == "__main__":
    main()
