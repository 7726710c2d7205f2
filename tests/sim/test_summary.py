"""The summary's early-warning lines, from the API's answers: the pre-alerts, the lead times of the warned
alarms, what became of the warnings, and the newest forecast band per sensor (closest to its limit first)."""

from __future__ import annotations

from mineguard.sim.summary import early_warning_lines


def forecast(device: str, probability: float, issued: str) -> dict:
    band = {"lower_80": 0.8, "upper_80": 1.0, "lower_95": 0.7, "upper_95": 1.1}
    return (
        {"device_id": device, "value": 0.6, "predicted": 0.9, "horizon_s": 120.0, "limit": 1.0}
        | band
        | {
            "probability": probability,
            "issued_at": issued,
        }
    )


def test_pre_alerts_lead_times_and_the_newest_band_per_sensor() -> None:
    alerts = [
        {"rule_id": "methane.working_face", "opened_at": "2026-12-06T05:00:10+00:00", "message": "alarm"},
        {"rule_id": "risk.methane", "opened_at": "2026-12-06T05:00:01+00:00", "message": "Methane heading for 1 %"},
    ]
    leads = {
        "alarms": [
            {"rule_id": "methane.working_face", "alarms": 2, "warned": 1, "median_lead_s": 9.0},
            {"rule_id": "co.roadway", "alarms": 1, "warned": 0, "median_lead_s": None},
        ],
        "warnings": [{"rule_id": "risk.methane", "followed_by_alarm": 1, "false_alarms": 0, "open": 0}],
    }
    newest_first = [forecast("ch4", 0.9, "05:00:02"), forecast("co", 0.1, "05:00:02"), forecast("ch4", 0.2, "05:00:00")]
    lines = early_warning_lines(alerts, leads, newest_first)
    assert lines[0] == "pre-alerts: 1"
    assert lines[1] == "  05:00:01 Methane heading for 1 %"
    assert "lead time before methane.working_face: 1 of 2 alarms warned, median 9 s ahead" in lines
    assert not any("co.roadway" in line for line in lines)  # no warned alarm: no lead time to show
    assert "risk.methane: 1 followed by an alarm, 0 cleared without one, 0 open" in lines
    assert "forecasts: 3 stored for 2 sensors (80 % and 95 % bands)" in lines
    bands = [line for line in lines if line.startswith("  ch4") or line.startswith("  co")]
    assert bands[0] == "  ch4: 0.6 now, 0.9 expected in 2 min (80 % 0.8..1, 95 % 0.7..1.1), p = 0.90 past 1"
    assert bands[1].startswith("  co:")


def test_no_warning_and_no_forecast() -> None:
    assert early_warning_lines([], {}, []) == [
        "pre-alerts: 0",
        "forecasts: 0 stored for 0 sensors (80 % and 95 % bands)",
    ]
