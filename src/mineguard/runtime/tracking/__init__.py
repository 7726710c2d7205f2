"""Multi-object tracking of detector boxes across video frames: ByteTrack over a Kalman box filter."""

from mineguard.runtime.tracking.bytetrack import ByteTracker
from mineguard.runtime.tracking.kalman import KalmanBoxFilter
from mineguard.runtime.tracking.records import ByteTrackConfig, Track, TrackState, track_arrays

__all__ = ["ByteTrackConfig", "ByteTracker", "KalmanBoxFilter", "Track", "TrackState", "track_arrays"]
