"""Ingestion of sensor readings: the wire contract (:mod:`.schema`), canonical units
(:mod:`.units`), validation and idempotent storage (:mod:`.validate`, :mod:`.store`) and the
in-process bus with its ingest worker (:mod:`.bus`). Nothing is lost: every reading is either
stored (once) or recorded in ``rejected_payloads`` with the reason and what to fix.
"""
