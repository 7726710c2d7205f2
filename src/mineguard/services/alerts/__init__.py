"""Alerts: one alert per ongoing condition, with lifecycle, escalation, evidence and notifiers."""
