"""Batch restoration on Dask distributed: folders, stacks and plates, resumable, with nothing lost.

>>> from napari_dip.batch import run                                   # doctest: +SKIP
>>> report = run("plate/*.tif", "restored", task="denoise", workers=4)  # doctest: +SKIP
>>> [r["status"] for r in report]                                      # doctest: +SKIP
['done', 'done', 'skipped', 'failed']

- :mod:`.api`: :func:`run` (and ``napari-dip batch``), the report;
- :mod:`.inputs`: files, masks, outputs, fingerprints (what is done already), planes;
- :mod:`.work`: what runs on a worker (one fit, one plane, a stack's assembly);
- :mod:`.cluster`: the embedded ``LocalCluster`` (CPU or one worker per GPU), an
  existing scheduler, or a ``Client`` passed in.

No napari or Qt; torch is imported on the workers only. See docs/batch.md.
"""

from .api import REPORT, run

__all__ = ["REPORT", "run"]
