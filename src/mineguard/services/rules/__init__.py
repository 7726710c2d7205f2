"""Stored rule versions (``store``): the site's rules in ``rule_versions``, file and API edits, audited.

The rule records are site data (:mod:`mineguard.mine.rules`); the evaluator is
:mod:`mineguard.warning.rules`.
"""
