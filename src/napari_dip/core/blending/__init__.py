"""Image blending: the DIP blend (:mod:`.api`, its loss in :mod:`.loss`, :mod:`.terms`, :mod:`.filters`),
the classical blends it is compared with (:mod:`.pyramid`, :mod:`.poisson`), the soft map and transition
band (:mod:`.regions`) and the blending metrics (:mod:`.metrics`)."""
