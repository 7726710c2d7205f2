"""Early warning (seed 003 §3.3): forecast sensor trajectories, predict hazardous states, read incident text,
fuse modalities.

Modules: ``series`` (sensor time series: load, regular clock, gaps, windows, time split),
``slope`` (the one least-squares line: slopes along an axis, a 1-D fit),
``forecast`` (forecasters of sensor trajectories), ``seismic`` (hazard-state prediction on the
seismic-bumps shifts of a Polish coal mine, with the mine's own ``ghazard`` rule as baseline),
``text`` + ``text_models`` (MSHA narratives: loaders, embedders, accident-class classifier,
similar-incident index), ``multimodal`` (the sensor + vision + text set), ``fusion`` +
``fusion_train`` (the cross-modal attention model), ``fusion_eval`` (alarm level against the
threshold rule) and ``window_features`` (the gradient-boosting baseline). The losses live in
``mineguard.losses.focal`` and the alarm-level scores in ``mineguard.evaluation.alarms`` and
``mineguard.evaluation.episodes``.
"""
