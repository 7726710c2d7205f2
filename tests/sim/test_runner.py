"""A short run of the simulated mine against a real service: what it sends is stored, and the
summary is what the API answers."""

from __future__ import annotations

import shutil
from collections import Counter
from importlib import resources
from pathlib import Path

from mineguard.cli import main
from mineguard.sim.publish import BusPublisher
from mineguard.sim.runner import run, settle_window_s
from mineguard.sim.script import load_sim
from mineguard.sim.summary import describe_inputs


def test_a_short_run_sends_everything_through_the_real_interfaces(quiet_service) -> None:
    # quiet: a headcount round landing between the summary and the check below added 3 alerts (CI of stop 32)
    sim, service = load_sim(), quiet_service
    with service.client() as client:
        summary = run(sim, client, BusPublisher(service.app.state.ctx.bus), duration_s=9, speed=8, seed=0)
        steps = int(summary.sim_s)
        assert steps == 72 and not summary.complete
        # readings: every published one stored, machine state among them (fan F2 stops at 8 s)
        sensors = sum(1 for d in sim.site.devices if d.kind == "sensor")
        assert summary.readings_published == summary.readings_stored == sensors * steps - summary.readings_dropped
        assert summary.rejects == {} and client.reading_stats()["readings"] == summary.readings_stored
        fan = client.get("/readings", device_id="fan-f2-run", limit=200)
        assert {r["value"] for r in fan} == {0.0, 1.0} and {r["unit"] for r in fan} == {"state"}
        # tag fixes: each miner's, each step, through the gateways; the service tracks them
        assert summary.tag_fixes == len(sim.script.people) * steps
        history = client.get("/assets/miner-004/history")
        assert len(history) >= steps // 2
        gateways = client.get("/gateways")
        assert {g["device_id"] for g in gateways} == {d.id for d in sim.site.devices if d.kind == "gateway"}
        # camera events: posted once miner-004 is near the face-gate camera, stored by the events API
        events = client.get("/events", limit=500)
        vision = [e for e in events if e["source"] == "vision"]
        assert summary.vision_events == len(vision) > 0
        assert {(e["device_id"], e["label"]) for e in vision} == {("cam-face-gate-1101", "no_helmet")}
        # gate passages: crew a passed the lamp-room gate's face terminal going in (none out yet at 72 s)
        gate = [(e["asset_id"], e["attributes"]["direction"]) for e in events if e["source"] == "face"]
        assert summary.gate_passages == 3 and sorted(gate) == [
            (m, "in") for m in ("miner-001", "miner-002", "miner-003")
        ]
        # the summary: alerts as the API lists them; the gas hazard is real by now, the rest not yet
        assert summary.alerts_by_rule == dict(Counter(a["rule_id"] for a in client.alerts()))
        triggered = {s.id for s in summary.scenarios if s.triggered_at is not None}
        assert "gas" in triggered and "belt" not in triggered and "roof" not in triggered
    assert "readings over in-process bus" in summary.format()


def test_the_inputs_line_prefers_provenance_and_falls_back_on_evidence_values() -> None:
    provenance = {
        "inputs": [
            {
                "source": "reading:ch4-1101-t#12",
                "kind": "reading",
                "device_id": "ch4-1101-t",
                "value": 1.62,
                "unit": "%",
                "t": "2026-01-01T12:00:03+00:00",
            },
            "event:57",
        ]
    }
    assert describe_inputs(provenance) == "inputs: reading ch4-1101-t 1.62 % @12:00:03, event 57"
    values = {"methane@face_1101": 1.62, "fan-f2.running": False, "methane@face_1101.rate_per_min": 1.9}
    assert describe_inputs(values) == "signals in the evidence: methane@face_1101 1.62, fan-f2.running False"


def test_mineguard_sim_drives_a_running_service_over_http(service, tmp_path, capsys) -> None:
    secret = tmp_path / "password"
    secret.write_text(service.password + "\n")
    argv = ["sim", "--url", service.url, "--user", service.username, "--password-file", str(secret)]
    assert main([*argv, "--http-readings", "--duration", "2", "--speed", "4"]) == 1  # 8 s: no scenario yet
    out = capsys.readouterr().out
    assert "readings over HTTP" in out and "0 duplicates, 0 rejected" in out and "timeline not reached" in out
    secret.write_text("wrong")
    assert main([*argv, "--duration", "2"]) == 2
    assert "error: POST /api/v1/auth/token: 401" in capsys.readouterr().err
    assert main([*argv[:-1], str(tmp_path / "absent"), "--duration", "2"]) == 2
    assert "no such password file" in capsys.readouterr().err


def test_demo_runs_on_a_site_given_by_file_and_refuses_one_without_a_scenario_file(tmp_path, capsys) -> None:
    sites = Path(str(resources.files("mineguard.mine").joinpath("sites")))
    shutil.copy(sites / "sample_coal_mine.yaml", tmp_path / "copy.yaml")
    assert main(["demo", "--site", str(tmp_path / "copy.yaml"), "--duration", "2"]) == 2
    assert "copy.scenarios.yaml: no scenario file" in capsys.readouterr().err
    shutil.copy(sites / "sample_coal_mine.scenarios.yaml", tmp_path / "copy.scenarios.yaml")
    assert main(["demo", "--site", str(tmp_path / "copy.yaml"), "--duration", "2", "--speed", "4"]) == 1
    out = capsys.readouterr().out
    assert "site sample-coal-mine, readings over in-process bus" in out and "timeline not reached" in out


def test_the_summary_waits_for_alerts_that_rules_raise_a_moment_after_the_last_input() -> None:
    from mineguard.sim.runner import settled_alerts

    class LateRule:
        """Alert 7 exists from the start, alert 8 appears at the second read, then nothing more."""

        reads = 0

        def alerts(self) -> list[dict]:
            self.reads += 1
            return [{"id": 5}, {"id": 7}] + ([{"id": 8}] if self.reads >= 2 else [])

    client = LateRule()
    assert [a["id"] for a in settled_alerts(client, 5, quiet_s=0.01)] == [7, 8]
    assert client.reads == 3  # read until one quiet interval passed without a new alert


def test_the_settle_window_follows_the_longest_hold_of_the_rules_a_run_can_trigger() -> None:
    site = load_sim().site
    # the sample site's combined rules on sensors and cameras hold at most 3 s (gas-rising-fan-stopped);
    # its camera-down rules (30 s) read the video runtime's system.camera_down, which a run never sends
    assert max(r.for_s for r in site.rules.combined) == 30.0
    assert settle_window_s(site, tick_s=1.0, slack_s=1.5) == 3.0 + 1.0 + 1.5
    assert settle_window_s(site, tick_s=5.0, slack_s=0.0) == 8.0
    quiet = site.model_copy(update={"rules": site.rules.model_copy(update={"combined": []})})
    assert settle_window_s(quiet) == 2.5  # never shorter than the old fixed window
