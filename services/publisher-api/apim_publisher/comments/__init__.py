"""Comments on APIs in the Publisher: the devportal's comment store, reached through its internal API."""
