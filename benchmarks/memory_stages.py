"""Where a build's memory goes: resident memory of the process tree per stage of the build.

    python benchmarks/memory_stages.py [--every 0.02] [--min-mb 0] -- build --labels L --scores S --out r.html -q

Runs ``reportgen`` with the given arguments in this process while a thread samples, every
``--every`` seconds, the resident memory of this process and its children (the figure
process) from /proc, and the reportgen functions the main thread is in. Prints the peak
with the stack it was reached in, then, for each stage (the outermost two and innermost
two reportgen frames, in the order first seen), when it was first seen and the most
memory sampled in it. Sampling costs some time; the build's own time is measured by
``bench_many_classes.py``.
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import traceback

from reportgen.cli import main as reportgen_main
from tree_memory import tree_rss_kb


def frames(thread_id: int) -> list[str]:
    """``module:function`` of the thread's reportgen frames, outermost first."""
    frame = sys._current_frames().get(thread_id)
    stack = traceback.extract_stack(frame) if frame is not None else []
    return [f"{os.path.basename(s.filename)}:{s.name}" for s in stack if f"{os.sep}reportgen{os.sep}" in s.filename]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--every", type=float, default=0.02, help="seconds between samples")
    parser.add_argument("--min-mb", type=float, default=0, help="list only stages that reached this much")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="reportgen's arguments, after --")
    options = parser.parse_args()
    args = options.args[1:] if options.args[:1] == ["--"] else options.args
    main_thread = threading.get_ident()
    stages: dict[str, tuple[float, int]] = {}  # stage -> (first seen, most KB)
    peak: list = [0, []]
    done = threading.Event()
    start = time.perf_counter()

    def sample() -> None:
        while not done.is_set():
            rss = tree_rss_kb(os.getpid())
            stack = frames(main_thread)
            inner = stack[4:] if len(stack) > 4 else stack
            stage = " > ".join(inner[:2] + inner[-2:] if len(inner) > 4 else inner) or "(start)"
            first, most = stages.get(stage, (time.perf_counter() - start, 0))
            stages[stage] = (first, max(most, rss))
            if rss > peak[0]:
                peak[:] = [rss, stack]
            time.sleep(options.every)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    sys.argv = ["reportgen", *args]
    try:
        reportgen_main()
    except SystemExit:
        pass
    done.set()
    sampler.join()
    print(f"wall {time.perf_counter() - start:.1f} s; peak {peak[0] / 1024:.0f} MB of the process tree, in:")
    for name in peak[1]:
        print(f"    {name}")
    print("stage (first seen, most MB):")
    for stage, (first, most) in stages.items():
        if most / 1024 >= options.min_mb:
            print(f"  {first:7.1f} s {most / 1024:7.0f} MB  {stage}")


if __name__ == "__main__":
    main()
