"""Account-level steps on pandas or Dask: one code path, two back ends (:mod:`terrkit.scale.backend`)."""
