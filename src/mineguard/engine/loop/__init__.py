"""One training loop for the detector, faces and the learned warning models (``core``), its callbacks
(``callbacks``) and seeding (``seeds``)."""

from mineguard.engine.loop.callbacks import (
    EMA,
    Checkpoint,
    CsvLog,
    EarlyStopping,
    EpochLog,
    JsonLinesLog,
    KeepBest,
    OnEpoch,
    ParamSchedule,
    PreciseBatchNorm,
    Progress,
    TimeLimit,
    TorchScheduler,
)
from mineguard.engine.loop.core import Callback, EpochRecord, Loop, LoopConfig, LoopSummary, Monitor, index_batches
from mineguard.engine.loop.seeds import rng_state, seed_everything, seeded, set_rng_state

__all__ = [
    "EMA",
    "Callback",
    "Checkpoint",
    "CsvLog",
    "EarlyStopping",
    "EpochLog",
    "EpochRecord",
    "JsonLinesLog",
    "KeepBest",
    "Loop",
    "LoopConfig",
    "LoopSummary",
    "Monitor",
    "OnEpoch",
    "ParamSchedule",
    "PreciseBatchNorm",
    "Progress",
    "TimeLimit",
    "TorchScheduler",
    "index_batches",
    "rng_state",
    "seed_everything",
    "seeded",
    "set_rng_state",
]
