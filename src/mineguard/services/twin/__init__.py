"""The mine's digital twin: site config, zone graph, motion states."""
