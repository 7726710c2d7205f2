"""Open pits and cracks from above (seed 004): scenes, slices, the dense attention classifier's data and maps."""
