"""The longest pause of napari's UI thread while the Restore dock runs a small denoise (a real viewer).

    xvfb-run -a -s "-screen 0 1600x1000x24" python benchmarks/ui_gaps.py [--runs 5] [--size 48]
        [--iterations 300] [--stalls] [--profile]

A 10 ms QTimer on the main thread records the time between its ticks while the fit runs; a tick
that comes late means the UI thread was busy (or starved) that long. The Run click is timed apart
(the click's own work, then the gaps until the fit ends). It also times each of the dock's
main-thread slots (time spent inside the slot, which the machine's load changes less than the
gaps): the Run click, the snapshot slot (with the layers added from the worker's messages,
``add_prepared``), the preview into the layer (``show_preview``), the deferred showing of the new
layer (``_show``), the end of a run, the estimate's start. Prints, per run, the click's time, the
longest gap and the 99th percentile of the gaps, and per slot its longest call; ``--stalls`` samples
the main thread's Python stack while a tick is late (a second thread) and prints the longest stalls
with where the main thread was (only Qt's own frames: C++ work, painting); ``--profile`` adds a
cProfile of everything the UI thread did during the runs. Layers added by a run are removed after it
(each run starts from the same viewer: the canvas draws one output layer, not one per earlier run).
The machine's load changes these numbers: report them with the load they were measured under.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import threading
import time
import traceback
from collections import Counter

import napari
import numpy as np
from qtpy.QtCore import QTimer
from qtpy.QtWidgets import QApplication

from napari_dip.sample_data import add_gaussian_noise, camera

#: The dock's main-thread slots timed (those the dock has).
SLOTS = ("run", "_on_snapshot", "_show_latest", "_on_finished", "_start_estimate")
#: Functions of the dock's modules that its slots call, timed too (module, name), where they exist: the
#: layers added from the worker's messages, the preview into the layer, the deferred selection.
CALLS = (("napari_dip.widgets.restore_widget", "add_prepared"),
         ("napari_dip.widgets.restore_widget", "show_preview"),
         ("napari_dip.widgets._restore_run", "_show"))


class Stalls:
    """Samples the main thread's stack (every ``period`` s) while its heartbeat is late by ``threshold`` s."""

    def __init__(self, threshold: float = 0.06, period: float = 0.01):
        self.main = threading.main_thread().ident
        self.last = time.perf_counter()
        self.threshold, self.period = threshold, period
        self.found: list[tuple[float, Counter]] = []  # (duration, stacks seen)
        self._now: list | None = None
        self._quit = threading.Event()
        threading.Thread(target=self._loop, daemon=True).start()

    def beat(self) -> None:
        now = time.perf_counter()
        if self._now is not None:
            self.found.append((now - self._now[0], self._now[1]))
            self._now = None
        self.last = now

    def _loop(self) -> None:
        while not self._quit.wait(self.period):
            frame = sys._current_frames().get(self.main)
            if frame is None or time.perf_counter() - self.last < self.threshold:
                continue
            stack = tuple(f"{os.path.basename(f.filename)}:{f.lineno} {f.name}"
                          for f in traceback.extract_stack(frame))
            if self._now is None:
                self._now = [self.last, Counter()]
            self._now[1][stack] += 1

    def report(self, top: int = 5, depth: int = 10) -> None:
        self._quit.set()
        for duration, stacks in sorted(self.found, key=lambda s: -s[0])[:top]:
            print(f"stall {1000 * duration:.0f} ms ({sum(stacks.values())} samples); most often:")
            for line in stacks.most_common(1)[0][0][-depth:] if stacks else ():
                print("     ", line)


def _timed(real, name: str, spent: dict, *bound):
    def slot(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return real(*bound, *args, **kwargs)
        finally:
            spent.setdefault(name, []).append(time.perf_counter() - t0)
    return slot


def one_run(widget, app, iterations: int, stalls: Stalls | None, profile: cProfile.Profile | None) -> dict:
    gaps: list[float] = []
    spent: dict[str, list[float]] = {}
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        if widget.worker is not None:
            gaps.append(now - last[0])
        last[0] = now
        if stalls is not None:
            stalls.beat()

    slots = [name for name in SLOTS if hasattr(type(widget), name)]
    for name in slots:  # instance attributes: the connections made from now on call them
        object.__setattr__(widget, name, _timed(getattr(type(widget), name), name, spent, widget))
    calls = [(sys.modules[m], n) for m, n in CALLS if m in sys.modules and hasattr(sys.modules[m], n)]
    reals = [getattr(m, n) for m, n in calls]
    for (module, name), real in zip(calls, reals, strict=True):
        setattr(module, name, _timed(real, name, spent))
    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(10)
    widget.iterations.value = iterations
    t0 = time.perf_counter()
    widget.run()  # the click's own work is timed apart from the gaps of the run
    started = time.perf_counter() - t0
    last[0] = time.perf_counter()
    if profile is not None:
        profile.enable()  # everything the UI thread does during the run
    while widget.worker is not None:
        app.processEvents()
        time.sleep(0.001)
    if profile is not None:
        profile.disable()
    for _ in range(30):  # the end of the run's own events (the layer's last repaint, the next estimate)
        app.processEvents()
        time.sleep(0.01)
    timer.stop()
    for name in slots:
        object.__delattr__(widget, name)
    for (module, name), real in zip(calls, reals, strict=True):
        setattr(module, name, real)
    g = np.asarray(gaps or [0.0]) * 1000
    return {"start_ms": 1000 * started, "max_gap_ms": float(g.max()),
            "p99_gap_ms": float(np.percentile(g, 99)), "ticks": len(gaps),
            "slots": {k: (1000 * max(v), len(v)) for k, v in spent.items()}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size", type=int, default=48, help="the noisy image's side (px)")
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--stalls", action="store_true",
                        help="where the main thread was during the longest gaps")
    parser.add_argument("--profile", action="store_true",
                        help="profile the main thread during the runs (cProfile)")
    args = parser.parse_args()
    viewer = napari.Viewer(show=True)
    viewer.window._qt_window.resize(1280, 800)
    app = QApplication.instance()
    image = add_gaussian_noise(camera(args.size), 25)
    _, widget = viewer.window.add_plugin_dock_widget("napari-dip", "Restore")
    widget.image.value = viewer.add_image(image, name="noisy")
    widget.early_stop.value = False
    for _ in range(50):
        app.processEvents()
        time.sleep(0.01)
    stalls = Stalls() if args.stalls else None
    profile = cProfile.Profile() if args.profile else None
    for i in range(args.runs):
        r = one_run(widget, app, args.iterations, stalls, profile)
        for layer in [ly for ly in viewer.layers if ly.name != "noisy"]:  # the next run: one output drawn
            viewer.layers.remove(layer)
        for _ in range(20):
            app.processEvents()
            time.sleep(0.01)
        slots = ", ".join(f"{k} {ms:.0f} ms (x{n})" for k, (ms, n) in r["slots"].items())
        print(f"run {i + 1} ({args.size}x{args.size}): Run click {r['start_ms']:.0f} ms; then longest "
              f"gap {r['max_gap_ms']:.0f} ms, p99 {r['p99_gap_ms']:.0f} ms ({r['ticks']} ticks); longest "
              f"call per slot: {slots}", flush=True)
    widget._estimate_timer.stop()  # an estimate still running at close ends the process (its signals gone)
    while widget._estimate_call is not None and widget._estimate_call.is_running:
        app.processEvents()
        time.sleep(0.01)
    viewer.close()
    if stalls is not None:
        stalls.report()
    if profile is not None:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
