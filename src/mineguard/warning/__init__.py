"""Early warning (seed 003 §3.3): forecast sensor trajectories and predict hazardous states.

Modules: ``series`` (sensor time series: load, regular clock, gaps, windows, time split),
``forecast`` (forecasters of sensor trajectories), ``seismic`` (hazard-state prediction on the
seismic-bumps shifts of a Polish coal mine, with the mine's own ``ghazard`` rule as baseline).
The losses live in ``mineguard.losses.focal`` and the alarm-level scores in
``mineguard.evaluation.alarms``.
"""
