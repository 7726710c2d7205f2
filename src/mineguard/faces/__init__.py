"""Miner identity from face images (issue #5): loading, detection, alignment, quality gates, coal-dust occlusion.

The image side lives in ``image``, ``detect``, ``align``, ``quality``, ``dust`` and ``errors``; enrolment and
identification build on it. Import the submodules directly (``from mineguard.faces.detect import ...``).
"""
