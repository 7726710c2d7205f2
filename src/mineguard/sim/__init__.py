"""The simulated mine: a client of the real MineGuard interfaces, at the top of the package.

It publishes readings (machine state included) over MQTT, HTTP or the in-process bus handed in by
its caller, posts tag fixes through the gateway API and camera events through the events API,
and reads alerts back over HTTP — nothing else (import-linter contract ``sim-is-a-client``).

- :mod:`.script`: the scenario file beside a site file (``<site>.scenarios.yaml``), its schema;
- :mod:`.sensors`: the site's sensors, stepped in seconds (generic physics per sensor kind);
- :mod:`.people`: the miners' tags walking the roadways;
- :mod:`.scenarios`: plays a script on that world, with the ground truth per scenario;
- :mod:`.client`: the HTTP client of the API; :mod:`.publish`: where readings go;
- :mod:`.runner`: ``run`` drives a running service; :mod:`.summary`: the summary from its answers;
- :mod:`.episodes`: SIMULATED multimodal episodes for the early-warning models, with
  :mod:`.episode_config` (channels, limits, settings), :mod:`.episode_plan` (one episode's draws)
  and :mod:`.episode_physics` (1 s physics, windows, labels, the rule baseline's alarms).
"""
