"""IoT services of the edge gateways (seed 004 §3.1.2): registration, configuration, execution; tags."""
