"""Training windows from a site's own history, with the operators' verdicts applied: maintenance and test
intervals left out, the futures operators changed (true alarms) left out, false alarms repeated."""

from __future__ import annotations

import numpy as np
import pytest

from mineguard.warning.risk.feedback import SiteSeries, Verdict
from mineguard.warning.risk.learned import LearnedRiskConfig
from mineguard.warning.risk.site_samples import site_samples

CONFIG = LearnedRiskConfig(window_s=300.0, horizon_s=600.0, min_span_s=120.0)
T0 = 1_800_000_000.0


def ramp(device: str = "ch4", hours: float = 2.0) -> SiteSeries:
    t = T0 + np.arange(0.0, hours * 3600, 10.0)
    return SiteSeries(device, t, 0.2 + 0.0001 * (t - T0), limit=1.0, op=">=")  # 0.006 %/min


def test_windows_every_30_s_with_the_real_future_as_target() -> None:
    samples = site_samples([ramp()], CONFIG, every_s=30.0)
    assert samples is not None
    # cut from the first reading + min_span_s (enough history) to the last reading - horizon, every 30 s
    assert len(samples.target) == ((7190 - 600 - 120) // 30) + 1
    assert samples.features.shape[1] == CONFIG.n_features
    np.testing.assert_allclose(samples.target, 0.0001 * 600, atol=1e-6)  # x = value / limit: + 0.06 in 10 min


def test_verdicts_remove_or_repeat_windows() -> None:
    base = site_samples([ramp()], CONFIG)
    assert base is not None
    n = len(base.target)
    maintenance = Verdict("ch4", T0 + 3000, T0 + 3300, "maintenance")
    fewer = site_samples([ramp()], CONFIG, [maintenance])
    assert fewer is not None and len(fewer.target) == n - 40  # windows touching [3000, 3300] s: (300+600+300)/30
    other_device = Verdict("co", T0 + 3000, T0 + 3300, "maintenance")
    assert len(site_samples([ramp()], CONFIG, [other_device]).target) == n
    acted = Verdict("ch4", T0 + 3000, T0 + 3600, "true_alarm", on_warning=True)
    no_future = site_samples([ramp()], CONFIG, [acted])
    assert no_future is not None and len(no_future.target) < n
    alarm_confirmed = Verdict("ch4", T0 + 3000, T0 + 3600, "true_alarm")  # the limit was reached: keep the windows
    assert len(site_samples([ramp()], CONFIG, [alarm_confirmed]).target) == n
    false = Verdict("ch4", T0 + 3000, T0 + 3300, "false_alarm")
    repeated = site_samples([ramp()], CONFIG, [false], false_alarm_weight=3)
    assert repeated is not None and len(repeated.target) == n + 2 * 31  # [t, t + horizon] meets it for 31 cuts


def test_the_stretch_limits_history_and_future() -> None:
    inside = site_samples([ramp()], CONFIG, start_s=T0, end_s=T0 + 1800)
    assert inside is not None and len(inside.target) == ((1800 - 900) // 30) + 1
    assert site_samples([ramp()], CONFIG, start_s=T0, end_s=T0 + 600) is None  # no room for window + horizon


def test_a_gap_at_the_horizon_gives_no_window() -> None:
    s = ramp()
    keep = (s.t_s < T0 + 2000) | (s.t_s > T0 + 4000)  # 2000 s without readings
    gappy = SiteSeries("ch4", s.t_s[keep], s.values[keep], 1.0, ">=")
    samples = site_samples([gappy], CONFIG, max_future_gap_s=60.0)
    full = site_samples([s], CONFIG)
    assert samples is not None and len(samples.target) < len(full.target) - 60


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="not one of"):
        Verdict("ch4", 0, 1, "oops")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ends"):
        Verdict("ch4", 2, 1, "test", alert_id=7)
    with pytest.raises(ValueError, match="time order"):
        SiteSeries("ch4", np.array([2.0, 1.0]), np.array([0.1, 0.2]), 1.0, ">=")
    with pytest.raises(ValueError, match="every_s"):
        site_samples([ramp()], CONFIG, every_s=0)
