"""cutover: gate a legacy and a new code path.

``Client.connect(url, token)`` follows a cutover server's change stream and keeps every flag in
memory; ``client.is_new(flag, ctx)`` answers from there (no network, no lock), ``client.record``
and ``client.measure`` count each arm's calls, errors and latency for guarded rollouts, and
``client.shadow`` runs the new path beside the legacy one and counts how they compare. The Rust
``cutover-sdk`` does all of it; this package is its Python face.

A context is a ``dict`` of ``str`` keys to ``str``, ``int``, ``float`` or ``bool`` values.
"""

from cutover._native import (
    Change,
    Client,
    ClosedError,
    ComparisonSpec,
    ConnectError,
    CutoverError,
    Decision,
    Flag,
    FlagFileError,
    Measure,
    PanicException,
    ShadowRun,
    Status,
    View,
)
from cutover._shadow import READ_ONLY, ReadOnly

__all__ = [
    "Change",
    "Client",
    "ClosedError",
    "ComparisonSpec",
    "ConnectError",
    "CutoverError",
    "Decision",
    "Flag",
    "FlagFileError",
    "Measure",
    "PanicException",
    "READ_ONLY",
    "ReadOnly",
    "ShadowRun",
    "Status",
    "View",
]
