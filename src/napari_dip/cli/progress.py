"""A terminal progress bar over the snapshots of a run."""

from __future__ import annotations

import sys

import napari_dip  # its lazy iter_restore loads torch on the first run, not with `napari-dip --help`


def run_with_progress(image, task, *, desc, **kwargs):
    """Run iter_restore with a tqdm progress bar; return the RestoreResult."""
    from tqdm import tqdm

    result = None
    with tqdm(desc=desc, unit="it", dynamic_ncols=True, file=sys.stderr, mininterval=1.0) as bar:
        for snap in napari_dip.iter_restore(image, task, **kwargs):
            if bar.total is None:
                bar.total = snap.total
            bar.update(snap.iteration - bar.n)
            if snap.loss is not None:
                post = {"loss": f"{snap.loss:.2e}"}
                post.update({k: f"{v:.2f}" for k, v in snap.metrics.items()})
                bar.set_postfix(post, refresh=False)
            if snap.done:
                result = snap.result
    return result
