"""Request and response bodies, one module per resource; a route imports from its own module.

Requests forbid unknown fields; units are in the field names (``_m``, ``_s``, ``_g``) or carried
explicitly (:class:`.sensitivity.QuantityIn`); numbers and booleans in requests are strict (see
:mod:`.common`, which also holds the ``In``/``Out`` bases every model derives from).
"""
