"""napari dock widgets. Imported only when napari opens them (they import napari and Qt)."""
