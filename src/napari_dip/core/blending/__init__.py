"""Image blending's building blocks: the DIP blend's loss (:mod:`.loss`, :mod:`.terms`, :mod:`.filters`),
the classical blends it is compared with (:mod:`.pyramid`, :mod:`.poisson`), the soft map and transition
band (:mod:`.regions`) and the blending metrics (:mod:`.metrics`, :mod:`.compare`).

The DIP blend itself, :func:`~napari_dip.core.blend.blend`, lives in ``core/blend.py`` beside
``core/restore.py``: it needs the blend task and the engine, and this package imports neither (the blend
task, ``core/tasks/blend.py``, imports the loss from here)."""
