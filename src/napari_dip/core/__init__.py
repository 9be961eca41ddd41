"""The napari-free core of napari-dip.

Every restoration is the same loop (:mod:`.engine`): a network (:mod:`.networks`)
maps a fixed input (:mod:`.inputs`) to an image; a forward operator
(:mod:`.operators`) says how the observation was made; a loss (:mod:`.losses`)
compares the two; stopping rules and output averaging live in :mod:`.stopping`.
:mod:`.restore` turns a task name into those pieces; :mod:`.data` maps user
arrays to and from the network's normalised layout.
"""
