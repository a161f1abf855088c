"""Prometheus metrics of one studio, read from live state when scraped (`/metrics`).

A registry per studio (not prometheus_client's global one), so several studios in one process
(tests) never share a series. Everything but the stage histogram is read at scrape time from
the store (jobs of every process sharing the data folder), the job queue, the process's model
cache and torch, so no counter drifts from the store. The stage histogram is fed by the job
lifecycle's events (`lifecycle.add_listener`): stages of jobs this process ran on this store.

prometheus_client is imported when a studio's metrics are made, not with vidgen.
"""

from __future__ import annotations

import sys
from typing import Any, Iterator

from .. import __version__
from ..domain import JOB_STATUSES
from ..errors import VidgenError
from ..jobs import JobQueue, lifecycle
from ..models.cache import get_cache
from ..store import Store
from .health import free_bytes, queue_state

STAGE_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
CACHE_EVENTS = ("hits", "misses", "offload_hits", "evictions", "offloads", "drops", "ooms")


class StudioMetrics:
    """The metrics of one studio's store and queue; `exposition()` is /metrics' body and type."""

    def __init__(self, store: Store, queue: JobQueue) -> None:
        from prometheus_client import CollectorRegistry, Histogram

        self.store, self.queue = store, queue
        self.registry = CollectorRegistry(auto_describe=False)
        self.stages = Histogram("vidgen_stage_seconds", "Seconds each stage of a job took (jobs this process ran)",
                                ["kind", "stage"], registry=self.registry, buckets=STAGE_BUCKETS)
        self.registry.register(_Collector(store, queue))
        lifecycle.add_listener(self._on_event)

    def _on_event(self, store: Store, event: str, fields: dict[str, Any]) -> None:
        if event == "stage_ended" and store is self.store and fields.get("stage"):
            self.stages.labels(fields.get("kind", ""), fields["stage"]).observe(fields.get("duration", 0.0))

    def exposition(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    def close(self) -> None:
        """Stop listening to the lifecycle (the studio is closing)."""
        lifecycle.remove_listener(self._on_event)


class _Collector:
    """Reads the store, the queue, the model cache and the GPU on every scrape."""

    def __init__(self, store: Store, queue: JobQueue) -> None:
        self.store, self.queue = store, queue

    def describe(self) -> list:
        return []  # no collect() at registration: the first scrape reads the store

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily

        yield InfoMetricFamily("vidgen", "The vidgen studio", value={"version": __version__})
        yield from self._jobs()
        waiting, stopping = queue_state(self.queue)
        accepting = int(not stopping and waiting < self.queue.max_queued)
        for name, text, value in (
                ("vidgen_queue_depth", "Jobs waiting in this studio's queue", waiting),
                ("vidgen_queue_capacity", "Jobs the queue holds before it refuses one", self.queue.max_queued),
                ("vidgen_queue_accepting", "1 while the queue takes new jobs", accepting),
                ("vidgen_gpu_slots", "GPU jobs run at once", self.queue.gpu_slots),
                ("vidgen_disk_free_bytes", "Free disk in the data folder", free_bytes(self.store.data_dir))):
            yield GaugeMetricFamily(name, text, value=value)
        yield from _cache()
        yield from _gpu()

    def _jobs(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily, SummaryMetricFamily

        readable = GaugeMetricFamily("vidgen_store_readable", "1 when the store answered this scrape")
        try:
            jobs = self.store.list_jobs()
        except (OSError, VidgenError):
            readable.add_metric([], 0)
            yield readable
            return
        readable.add_metric([], 1)
        yield readable
        counts = {(kind, status): 0 for kind in {"render", *(j.kind for j in jobs)} for status in JOB_STATUSES}
        took: dict[tuple[str, str], list[float]] = {}
        steps: dict[tuple[str, str], list[float]] = {}
        for j in jobs:
            counts[(j.kind, j.status)] = counts.get((j.kind, j.status), 0) + 1
            if j.started and j.finished and j.status not in ("pending", "running"):
                took.setdefault((j.kind, j.status), []).append(max(0.0, j.finished - j.started))
            for s in j.steps:
                steps.setdefault((s.name, "true" if s.cached else "false"), []).append(s.seconds)
        by_status = GaugeMetricFamily("vidgen_jobs", "Jobs in the store by kind and status", labels=["kind", "status"])
        for (kind, status), n in sorted(counts.items()):
            by_status.add_metric([kind, status], n)
        yield by_status
        for name, text, labels, groups in (
                ("vidgen_job_seconds", "Seconds from start to end of ended jobs", ["kind", "status"], took),
                ("vidgen_step_seconds", "Seconds of each pipeline step recorded by jobs (cached: taken from the "
                                        "step cache)", ["step", "cached"], steps)):
            family = SummaryMetricFamily(name, text, labels=labels)
            for key, values in sorted(groups.items()):
                family.add_metric(list(key), count_value=len(values), sum_value=round(sum(values), 3))
            yield family


def _cache() -> Iterator[Any]:
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

    st = get_cache().stats()
    resident = GaugeMetricFamily("vidgen_model_cache_bytes", "Bytes of loaded models, on the device or offloaded "
                                 "to CPU memory", labels=["tier"])
    resident.add_metric(["device"], st["bytes"])
    resident.add_metric(["offload"], st["offloaded_bytes"])
    models = GaugeMetricFamily("vidgen_model_cache_models", "Loaded models", labels=["tier"])
    for tier in ("device", "offload"):
        models.add_metric([tier], sum(1 for r in st["resident"] if r["tier"] == tier))
    events = CounterMetricFamily("vidgen_model_cache_events", "Model cache uses by outcome (hits: already "
                                 "loaded; misses: loaded from disk) and evictions", labels=["event"])
    for name in CACHE_EVENTS:
        events.add_metric([name], st.get(name, 0))
    loads = CounterMetricFamily("vidgen_model_cache_load_seconds", "Seconds spent loading models", labels=["from"])
    loads.add_metric(["disk"], st["load_seconds"])
    loads.add_metric(["offload"], st["reload_seconds"])
    yield from (resident, models, events, loads,
                GaugeMetricFamily("vidgen_model_cache_budget_bytes", "The cache's memory budget (0 until first "
                                  "use)", value=st.get("budget_bytes") or 0))


def _gpu() -> Iterator[Any]:
    """GPU memory per CUDA device, when this process already uses CUDA (a scrape never starts it)."""
    torch = sys.modules.get("torch")
    if torch is None:
        return
    try:
        if not (torch.cuda.is_available() and torch.cuda.is_initialized()):
            return
        rows = []
        for i in range(torch.cuda.device_count()):
            free, total = torch.cuda.mem_get_info(i)
            rows.append((str(i), torch.cuda.get_device_name(i), torch.cuda.memory_allocated(i),
                         torch.cuda.memory_reserved(i), free, total))
    except Exception:  # a driver that stopped answering must not break the scrape: no GPU series
        return
    from prometheus_client.core import GaugeMetricFamily

    family = GaugeMetricFamily("vidgen_gpu_memory_bytes", "CUDA memory per device: allocated and reserved by "
                               "torch, free and total on the device", labels=["device", "name", "kind"])
    for device, name, *values in rows:
        for kind, value in zip(("allocated", "reserved", "free", "total"), values):
            family.add_metric([device, name, kind], value)
    yield family
