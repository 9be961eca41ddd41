"""Tiling: a plane too large for one fit, fitted in overlapping tiles and stitched back.

- :mod:`.boxes`: tile geometry (the tile side from the memory model, the tiles' boxes);
- :mod:`.stitching`: each tile's cosine weight and the :class:`~.stitching.Canvas` the driver puts
  the tiles' outputs into;
- :mod:`.streamed`: the whole image's value mapping computed block by block, so that a tile can be
  fitted from its own pixels;
- :mod:`.runner`: one image's tiles as separate fits (other processes or machines,
  ``napari-dip batch --tile``), stitched exactly as a tiled run does.

boxes, stitching and streamed need numpy only and sit below the engine, which tiles a run with them;
the runner is above it (a subpackage, so that the import layers stay one way). Nothing is imported
here: the batch client loads the geometry without torch.
"""
