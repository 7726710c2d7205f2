"""MineGuard on a Ray cluster (the optional extra ``mineguard[cluster]``), for when one machine is not enough.

Camera pipelines and ingest partitions run as Ray actors placed across the cluster's nodes; the
service (``mineguard serve``, on its own node, with the shared PostgreSQL) stays what it is. Every
actor is a client of the service's real API, like the camera box (``mineguard.edge``) and the
simulated mine: a camera actor is one :class:`~mineguard.runtime.watch.CameraWatch` with its own
onnxruntime engine, sending events and evidence through :class:`~mineguard.edge.sink.ServiceSink`;
an ingest actor takes the MQTT topics of its partition of the sensors and posts them in batches to
``POST /api/v1/readings``, acknowledging each message to the broker only after the service's 200
(stored, ``(device_id, seq)`` de-duplicated). :class:`~.supervisor.ClusterSupervisor` places the
actors, watches them and moves the actors of a node that died (``docs/SCALING.md``).

Ray is imported only here (import-linter contract ``ray-only-in-cluster``) and only when used:
without the extra, :func:`~.engine.require_ray` says ``pip install 'mineguard[cluster]'``.
"""
