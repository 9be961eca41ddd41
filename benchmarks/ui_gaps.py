"""The longest pause of napari's UI thread while the Restore dock runs a small denoise (a real viewer).

    xvfb-run -a -s "-screen 0 1600x1000x24" python benchmarks/ui_gaps.py [--runs 5] [--profile]

A 10 ms QTimer on the main thread records the time between its ticks while the fit runs; a tick
that comes late means the UI thread was busy (or starved) that long. It also times the dock's
main-thread slots (the snapshot slot: preview layer update, plot, status) to say what blocks, and
the Run click itself (it adds the output layer) apart. Prints, per run, the click's time, the
longest gap, the 99th percentile of the gaps and the longest slot; ``--profile`` adds a cProfile
of everything the UI thread did during the runs.
The machine's load changes these numbers: report them with the load they were measured under.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time

import napari
import numpy as np
from qtpy.QtCore import QTimer
from qtpy.QtWidgets import QApplication

from napari_dip.sample_data import add_gaussian_noise, camera


def one_run(viewer, widget, app, iterations: int, profile: cProfile.Profile | None = None) -> dict:
    gaps: list[float] = []
    slot: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        if widget.worker is not None:
            gaps.append(now - last[0])
        last[0] = now

    slots = [name for name in ("_on_snapshot", "_show_latest") if hasattr(type(widget), name)]

    def timed(name):
        real = getattr(type(widget), name)

        def slot_(*args) -> None:
            t0 = time.perf_counter()
            real(widget, *args)
            slot.append(time.perf_counter() - t0)
        return slot_

    for name in slots:  # run() connects self._on_snapshot (its timer self._show_latest): instance attributes
        object.__setattr__(widget, name, timed(name))
    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(10)
    widget.iterations.value = iterations
    t0 = time.perf_counter()
    widget.run()  # the click's own work (the output layer added) is timed apart from the gaps of the run
    started = time.perf_counter() - t0
    last[0] = time.perf_counter()
    if profile is not None:
        profile.enable()  # everything the UI thread does during the run
    while widget.worker is not None:
        app.processEvents()
        time.sleep(0.001)
    if profile is not None:
        profile.disable()
    timer.stop()
    for name in slots:
        object.__delattr__(widget, name)
    g = np.asarray(gaps) * 1000
    return {"start_ms": 1000 * started, "max_gap_ms": float(g.max()),
            "p99_gap_ms": float(np.percentile(g, 99)),
            "max_slot_ms": 1000 * max(slot), "snapshots": len(slot), "ticks": len(g)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size", type=int, default=48)
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--profile", action="store_true", help="profile the main-thread slots (cProfile)")
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
    profile = cProfile.Profile() if args.profile else None
    for i in range(args.runs):
        r = one_run(viewer, widget, app, args.iterations, profile)
        print(f"run {i + 1}: Run click {r['start_ms']:.0f} ms; then longest gap {r['max_gap_ms']:.0f} ms, "
              f"p99 {r['p99_gap_ms']:.0f} ms, "
              f"longest slot {r['max_slot_ms']:.0f} ms ({r['snapshots']} slot calls, {r['ticks']} ticks)")
    viewer.close()
    if profile is not None:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
