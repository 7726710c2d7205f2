"""Miner identity in the platform: the face gallery kept in the database, with audited erasure (issue #5)."""

from mineguard.services.identity.store import DbGallery, EnrolledPerson, Erasure

__all__ = ["DbGallery", "EnrolledPerson", "Erasure"]
