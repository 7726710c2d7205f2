"""Notifier plugins: one file per channel (webhook, e-mail, SMS, voice), one registry entry each.

- :mod:`.base` holds the DB-free :class:`~.base.Notice`, the :class:`~.base.Notifier` ABC, the
  registry filled by ``@register_notifier("name")`` and :func:`~.base.build_notifier`.
- :mod:`.config` holds ``NotifierConfig``, the pydantic union of every plugin's config class,
  discriminated by its ``type`` literal.
- :mod:`.dispatch` delivers notices on background threads: retried with backoff, logged, and
  never blocking the alert path.
"""
