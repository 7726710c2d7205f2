"""Early warning (seed 003 §3.3), its one home: sense, judge by rules, forecast sensor trajectories,
predict hazardous states, read incident text, fuse modalities.

Packages: ``sensing/`` (cleansing checks, live cleanser, resampling and alignment onto a clock —
the one resampling core, used by ``series`` too —, sensor health) and ``rules/`` (the streaming
``RuleEngine``, the one alarm evaluator, running the rules of the site data in ``mineguard.mine.rules``).
Modules: ``series`` (sensor time series: load, regular clock, gaps) + ``series_windows`` (windows,
time split), ``slope`` (the one least-squares line: slopes along an axis, a 1-D fit),
``forecast`` (forecasters of sensor trajectories: interface, registry) + ``forecast_baselines``
(persistence, EWMA, trend, gradient boosting) + ``forecast_transformer`` + ``forecast_lgbm`` (LightGBM
on the window features of ``forecast_features``, with the split-conformal bands of
``forecast_intervals``), ``seismic`` (the
seismic-bumps shifts of a Polish coal mine: loader, split, encoder, the mine's own ``ghazard`` rule
as baseline, time-ordered folds) + ``seismic_history`` (features over the previous shifts) +
``seismic_models`` (learned, rule-stacked and calibrated hazard-state models), ``text`` (MSHA narratives:
loaders, splits, hazard classes) + ``text_embedders`` + ``text_classifier`` (accident class) +
``text_index`` (similar incidents), ``multimodal`` (the sensor + vision + text set), ``fusion`` +
``fusion_train`` (the cross-modal attention model) + ``fusion_pretrain`` (per-modality pre-training),
``fusion_eval`` (alarm level against the threshold rule), ``window_features`` + ``window_gbm``
(LightGBM on window summaries, the default multimodal model) and ``risk/`` (will a sensor
reach its limit soon: the ``RiskModel`` interface and registry, the ``trend`` baseline, the
``learned`` quantile model and the simulated trajectories it trains on). The losses live in
``mineguard.losses.focal`` and the alarm-level scores in ``mineguard.evaluation.alarms`` and
``mineguard.evaluation.episodes``.
"""
