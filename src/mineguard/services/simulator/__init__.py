"""A simulated mine for the platform demo: sensor dynamics, walking miners and scripted scenarios.

- :mod:`.sensors`: the site's sensors and machine telemetry, stepped in seconds;
- :mod:`.people`: the miners' tags walking the roadways;
- :mod:`.scenarios`: the four scenarios of seed 003 §4 on a timeline;
- :mod:`.runner`: ``run_demo`` drives the real service (bus, ingest, alert pipeline) with all of it;
- :mod:`.episodes`: SIMULATED multimodal episodes for the early-warning models, with
  :mod:`.episode_config` (channels, limits, settings), :mod:`.episode_plan` (one episode's draws)
  and :mod:`.episode_physics` (1 s physics, windows, labels, the rule baseline's alarms).
"""
