"""Flame graphs and a per-message CPU breakdown from py-spy's collapsed stacks.

``py-spy record --format raw --idle`` writes one line per distinct stack,
``frame;frame;...;leaf count`` (root first, a frame is ``function (file:line)``). From those:

- ``render_svg``: a static flame graph (root at the bottom, width = samples; hover shows the
  frame and its share), of the busy samples only, so it shows where CPU went;
- ``breakdown``: samples per category (NLU, policies, tracker store, action call, ...), each
  stack going to the first rule that matches any of its frames, in the order the rules are
  listed (most specific first). Idle samples (a thread waiting in its event loop, a lock, a
  queue) are counted apart.

``python benchmarks/flame.py stacks.txt --name rasa`` re-renders a recorded profile.
"""

import argparse
import html
import json
import os
import re
import zlib
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

Stack = Tuple[List[str], int]

# A leaf frame in one of these means the thread was waiting, not computing: Sanic's uvloop
# event loop (native, so its wait shows as the Python frame that entered it), a lock, a queue.
IDLE_LEAF = re.compile(
    r"^(serve \(sanic/server/runners\.py|run_forever \(|_run_once \(|select \(selectors\.py|"
    r"(wait|acquire|_wait_for_tstate_lock|get|sleep|_worker) \((threading|queue|concurrent/futures/thread)\.py)")

# (category, regex on a frame); the first rule matching any frame of a stack wins.
RASA_RULES: List[Tuple[str, str]] = [
    # Rasa validates every action server answer with jsonschema.validate, which also checks the
    # schema itself each time; its recursion is deep enough that py-spy cuts the stack's root,
    # so a stack that merely contains jsonschema frames belongs here.
    ("action answers: jsonschema validation", r"jsonschema/|_validate_action_result"),
    ("NLU: our BERT intent + sentiment encoder", r"bot/nlu/"),
    ("NLU: other components (tokenizer, regex, fallback)", r"rasa/nlu/|_parse_message_with_graph|parse_message \("),
    ("policies: TED (TensorFlow)", r"ted_policy\.py|rasa/utils/tensorflow/|tensorflow/"),
    ("policies: rule + memoization", r"rule_policy\.py|memoization\.py"),
    ("policies: featurizing the tracker", r"rasa/core/featurizers/|past_states|_featurize"),
    ("policies: graph, ensemble, other", r"rasa/core/policies/|rasa/engine/|predict_next_action|_predict_next_with_tracker"),
    ("tracker store: read (retrieve + replay events)", r"retrieve|_event_query|from_dict|from_events|"
                                                       r"init_tracker_from_state|update_session|"
                                                       r"fetch_tracker"),
    ("tracker store: write (save, redact, serialise)", r"tracker_store\.py.*|redact|serialise_event|stream_events|"
                                                       r"_additional_events|rasa/core/brokers/"),
    ("action call (HTTP client, JSON)", r"rasa/core/actions/action\.py|aiohttp/|rasa/utils/endpoints\.py"),
    ("responses and NLG", r"rasa/core/nlg/|_utter|interpolat"),
    ("channels: Sanic, socket.io, JSON", r"sanic/|socketio/|engineio/|bot/web/|rasa/core/channels/|ujson|json/"),
    ("events, trackers, other Rasa", r"rasa/"),
]

ACTION_RULES: List[Tuple[str, str]] = [
    ("FAQ: sentence encoder (MiniLM, torch)", r"sentence_transformers/|transformers/|torch/"),
    ("FAQ: FAISS search", r"faiss"),
    ("shop database (SQLAlchemy, SQLite)", r"sqlalchemy/|sqlite3|bot/shop/"),
    ("knowledge graph and linking", r"bot/graph/|networkx/"),
    ("retrieval, other", r"bot/retrieval/"),
    ("dialogue turn functions", r"bot/dialogue/"),
    ("actions glue (reading the tracker)", r"actions/"),
    ("rasa-sdk dispatch, Sanic, JSON", r"rasa_sdk/|sanic/|json"),
]

RULES = {"rasa": RASA_RULES, "actions": ACTION_RULES}


def read_stacks(path: Path) -> List[Stack]:
    stacks: List[Stack] = []
    for line in Path(path).read_text(errors="replace").splitlines():
        line = line.rstrip()
        if not line or " " not in line:
            continue
        frames, _, count = line.rpartition(" ")
        try:
            stacks.append((frames.split(";"), int(count)))
        except ValueError:
            continue
    return stacks


def is_idle(frames: Sequence[str]) -> bool:
    return bool(frames) and bool(IDLE_LEAF.match(frames[-1]))


def categorize(frames: Sequence[str], rules: Sequence[Tuple[str, str]]) -> str:
    for name, pattern in rules:
        regex = re.compile(pattern)
        if any(regex.search(frame) for frame in frames):
            return name
    return "other (Python outside the rules)"


def breakdown(stacks: Sequence[Stack], rules: Sequence[Tuple[str, str]]) -> Dict[str, Any]:
    idle = sum(count for frames, count in stacks if is_idle(frames))
    busy: Dict[str, int] = {}
    for frames, count in stacks:
        if not is_idle(frames):
            category = categorize(frames, rules)
            busy[category] = busy.get(category, 0) + count
    total_busy = sum(busy.values())
    ordered = sorted(busy.items(), key=lambda kv: -kv[1])
    return {
        "samples": idle + total_busy, "idle_samples": idle, "busy_samples": total_busy,
        "categories": [{"category": k, "samples": v, "share_of_busy": round(v / total_busy, 3) if total_busy else 0}
                       for k, v in ordered],
    }


def top_frames(stacks: Sequence[Stack], limit: int = 25) -> List[Dict[str, Any]]:
    """Frames by inclusive busy samples (each frame counted once per stack)."""
    inclusive: Dict[str, int] = {}
    total = 0
    for frames, count in stacks:
        if is_idle(frames):
            continue
        total += count
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + count
    ordered = sorted(inclusive.items(), key=lambda kv: -kv[1])[:limit]
    return [{"frame": f, "share_of_busy": round(c / total, 3)} for f, c in ordered] if total else []


# Libraries whose runs of consecutive frames are folded into one box in the flame graph (their
# internals are deep: TensorFlow's and jsonschema's recursion alone run to hundreds of frames).
FOLD = ("tensorflow", "keras", "torch", "transformers", "jsonschema", "sqlalchemy", "dask", "aiohttp", "asyncio",
        "sanic", "socketio", "engineio", "urllib", "json", "logging", "pyrsistent", "numpy", "faiss",
        "sentence_transformers", "networkx", "yaml", "importlib", "<frozen importlib._bootstrap>")


# ... and what a run of one library swallows when it calls into it (jsonschema's URL and map
# helpers, the transformer layers torch calls).
ABSORB = {
    "jsonschema": ("urllib", "pyrsistent", "_collections_abc.py", "<attrs generated init jsonschema.validators.create.<locals>.Validator>"),
    "torch": ("transformers", "sentence_transformers"),
    "transformers": ("torch",),
    "tensorflow": ("keras", "numpy"),
}


def _package(frame: str) -> str:
    inside = frame.rsplit(" (", 1)[-1]
    return inside.split("/", 1)[0].split(":", 1)[0] if "/" in inside else inside.split(":", 1)[0]


def fold(frames: Sequence[str]) -> List[str]:
    """Consecutive frames of one library in FOLD become one ``library: first … leaf`` frame."""
    out: List[str] = []
    run: List[str] = []

    def flush() -> None:
        if run:
            out.append(f"{_package(run[0])}: {run[0].split(' (')[0]}" + (" …" if len(run) > 1 else ""))
            run.clear()

    for frame in frames:
        package = _package(frame)
        if run and (package == _package(run[0]) or package in ABSORB.get(_package(run[0]), ())):
            run.append(frame)
            continue
        if not run and package in FOLD:
            run.append(frame)
            continue
        flush()
        if _package(frame) in FOLD:
            run.append(frame)
        else:
            out.append(frame)
    flush()
    return out


def _color(name: str) -> str:
    h = zlib.crc32(name.split(" (")[0].encode())
    return f"rgb({205 + h % 50},{(h >> 8) % 180 + 40},{(h >> 16) % 55})"


def render_svg(stacks: Sequence[Stack], out: Path, title: str, width: int = 1200, row: int = 16) -> None:
    """A static flame graph of the busy stacks (root at the bottom, hover for the numbers)."""
    busy = [(fold(frames), count) for frames, count in stacks if not is_idle(frames)]
    # py-spy cuts the root off very deep stacks; they get a box of their own
    roots: Dict[str, int] = {}
    for frames, count in busy:
        roots[frames[0]] = roots.get(frames[0], 0) + count
    root = max(roots, key=roots.get) if roots else ""
    whole = [frames for frames, _ in busy if frames[0] == root]
    # the frames every whole stack starts with (process start-up, the server's loop) say nothing
    common = 0
    if whole:
        shortest = min(len(frames) for frames in whole)
        while common < shortest - 1 and len({frames[common] for frames in whole}) == 1:
            common += 1
    tree: Dict[str, Any] = {"count": 0, "children": {}}
    for frames, count in busy:
        tree["count"] += count
        node = tree
        if frames[0] != root:  # cut at a random depth: only the library of its first frame is known
            frames = ["(root cut off by py-spy: deep recursion)", frames[0].split(":")[0] + " …", *frames[1:]]
        else:
            frames = frames[common:]
        for frame in frames:
            node = node["children"].setdefault(frame, {"count": 0, "children": {}})
            node["count"] += count
    total = tree["count"] or 1

    def depth(node: Dict[str, Any]) -> int:
        return 1 + max((depth(c) for c in node["children"].values()), default=0)

    levels = depth(tree)
    height = (levels + 3) * row
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="monospace" font-size="11">',
             f'<rect width="100%" height="100%" fill="#fdfdf6"/>',
             f'<text x="{width / 2}" y="{row}" text-anchor="middle" font-size="13">{html.escape(title)}</text>']
    scale = (width - 20) / total

    def draw(node: Dict[str, Any], name: str, x: float, level: int) -> None:
        w = node["count"] * scale
        if w < 1.0:  # thinner than a pixel: left out (keeps the file small)
            return
        y = height - (level + 1) * row
        label = f"{name} ({node['count']} samples, {100 * node['count'] / total:.1f}%)"
        parts.append(f'<g><title>{html.escape(label)}</title><rect x="{x:.2f}" y="{y}" width="{w:.2f}" '
                     f'height="{row - 1}" fill="{_color(name)}" rx="2"/>')
        chars = int(w / 7)
        if chars >= 3:
            text = name if len(name) <= chars else name[:chars - 2] + ".."
            parts.append(f'<text x="{x + 3:.2f}" y="{y + row - 4}">{html.escape(text)}</text>')
        parts.append("</g>")
        child_x = x
        for child_name, child in sorted(node["children"].items(), key=lambda kv: kv[0]):
            draw(child, child_name, child_x, level + 1)
            child_x += child["count"] * scale

    draw(tree, "all (busy samples)", 10.0, 0)
    parts.append("</svg>")
    Path(out).write_text("\n".join(parts))


def profile_report(profile: Dict[str, Any], out_dir: Path) -> Dict[str, Any]:
    """Flame graphs and per-message breakdowns of each profiled server (load_profile.json).

    py-spy samples a server's Python threads; in a Sanic server the one that matters is the
    main thread, the event loop every conversation shares. ``loop_ms_per_msg`` is the time
    the loop spent in a category per served message (samples / rate / messages): when the loop
    is busy all the time, 1000 / (their sum) is the most messages per second the server can do.
    """
    cell = profile.get("cell") or {}
    rate = profile.get("rate") or 100
    ok = cell.get("ok") or 0
    raw_stacks = {k: os.path.relpath(v, out_dir) for k, v in (profile.get("raw") or {}).items()}
    report: Dict[str, Any] = {"cell": cell, "rate_hz": rate, "raw_stacks": raw_stacks,
                              "servers": {}, "summary": {}}
    for name, raw in raw_stacks.items():
        stacks = read_stacks(out_dir / raw)
        result = breakdown(stacks, RULES.get(name, RASA_RULES))
        svg = out_dir / f"load_flame_{name}.svg"
        render_svg(stacks, svg, f"{name} server, busy samples: {cell.get('transport')} N={cell.get('n')} "
                                f"think={cell.get('think_s')} s, {cell.get('script')} script "
                                f"({result['busy_samples']} busy, {result['idle_samples']} idle samples at {rate} Hz)")

        def per_msg(samples: int) -> Optional[float]:
            return round(1000 * samples / rate / ok, 1) if ok else None

        for entry in result["categories"]:
            entry["loop_ms_per_msg"] = per_msg(entry["samples"])
        result["loop_busy_ms_per_msg"] = per_msg(result["busy_samples"])
        result["loop_busy_share"] = round(result["busy_samples"] / result["samples"], 3) if result["samples"] else None
        result["cpu_ms_per_msg"] = (cell.get("cpu_ms_per_msg") or {}).get(name)
        result["main_thread_cpu_ms_per_msg"] = (cell.get("main_thread_cpu_ms_per_msg") or {}).get(name)
        result["top_frames"] = top_frames(stacks)
        result["flame_graph"] = svg.name
        report["servers"][name] = result
        report["summary"][name] = {"loop_busy_ms_per_msg": result["loop_busy_ms_per_msg"],
                                   "loop_busy_share": result["loop_busy_share"],
                                   **{e["category"]: e["loop_ms_per_msg"] for e in result["categories"]}}
    (out_dir / "load_profile.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stacks", type=Path, nargs="?")
    parser.add_argument("--name", choices=sorted(RULES), default="rasa")
    parser.add_argument("--svg", type=Path)
    parser.add_argument("--report", type=Path, help="rebuild a load_profile.json (and its SVGs) from its raw stacks")
    args = parser.parse_args(argv)
    if args.report:
        old = json.loads(args.report.read_text())
        raw = {k: str(args.report.parent / v) for k, v in old["raw_stacks"].items()}
        report = profile_report({"cell": old["cell"], "rate": old.get("rate_hz"), "raw": raw},
                                args.report.parent)
        print(json.dumps(report["summary"], indent=2))
        return 0
    if args.stacks is None:
        parser.error("give a stacks file or --report")
    stacks = read_stacks(args.stacks)
    result = breakdown(stacks, RULES[args.name])
    result["top_frames"] = top_frames(stacks)
    print(json.dumps(result, indent=2))
    if args.svg:
        render_svg(stacks, args.svg, f"{args.name}: {args.stacks.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
