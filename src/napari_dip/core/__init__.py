"""The napari-free core of napari-dip.

Every restoration is the same loop (:mod:`.engine`): a network (:mod:`.networks`)
maps a fixed input to an image; a forward operator (:mod:`.physics`) says how
the observation was made; a loss compares the two; a stopping rule ends it.
A task (:mod:`.tasks`, one module each) picks the operator, preset, baseline
and stop; :mod:`.settings` holds every option; :mod:`.restore` is the public
API; :mod:`.blending` fuses two images on the same loop; :mod:`.data` maps user
arrays to and from the network's normalised layout.
"""
