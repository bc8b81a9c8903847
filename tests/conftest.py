"""Shared pytest setup. Integration tests scale their deadlines by HALAB_TIME_FACTOR (default 1)
for slower machines, instead of scattering sleeps."""
