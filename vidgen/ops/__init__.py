"""Operations: health and readiness checks, Prometheus metrics, structured logs.

`health` (the ready checks, also `python -m vidgen doctor`'s), `machine` (what doctor adds: devices,
encoders, models, disk), `metrics` (a collector per studio), `routes` (/health, /ready, /metrics
beside the studio), `logs` (plain or JSON lines). Nothing is imported here: `vidgen.jobs` imports
`logs`, and `metrics` imports `vidgen.jobs`.
"""
