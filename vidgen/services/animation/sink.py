"""Where an image-to-video backend's chunks go: the film's clip written while it is generated.

    with ClipSink(job, (w, h), out_path, native_fps, overlap) as sink:
        for c in range(chunks):
            start = sink.tail[0] if c else still        # what the next chunk continues from
            sink.push(frames_of_chunk_c, overlap if c else 0)

A chunk's first `overlap` frames cover the same moments as the clip's last ones and are crossfaded
into them (the weight of the new chunk rises linearly across the seam); the sink holds only those
last frames (`tail`, float RGB 0..1). Every frame before them is final: it goes, as uint8, through
the stabilizer when the job asks (which holds its radius of frames), then the optical-flow retimer
to the film's fps (which holds two), is cover-fitted to the film's size and encoded at once. So a
scene of any length costs memory for a few frames, not for the whole clip.

The clip has exactly round(duration * fps) frames (the last held if the chunks fall short; frames
past the end are dropped) and is written atomically: nothing is at `out_path` unless the `with`
block ends without an exception. `cancel()` is checked every few encoded frames.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Callable

import numpy as np

from ...media import VideoWriter, atomic_output, check_cancel
from .clips import CANCEL_EVERY, fit_frame
from .interpolate import Retimer
from .job import ClipJob
from .stabilize import Stabilizer


class ClipSink:
    def __init__(self, job: ClipJob, size: tuple[int, int], out_path: str | Path, native_fps: int, overlap: int,
                 *, progress: Callable[[float], None] | None = None, cancel: Callable[[], None] | None = None):
        self.size, self.out_path, self.overlap = size, Path(out_path), max(1, int(overlap))
        self.count = max(1, int(round(job.duration * job.fps)))
        self.job, self.progress, self.cancel = job, progress, cancel
        self.tail: list[np.ndarray] = []
        self.written = 0
        self._retimer = Retimer(native_fps, job.fps, self.count)
        self._steady = Stabilizer() if job.stabilize else None
        self._stack = contextlib.ExitStack()
        self._writer: VideoWriter | None = None

    def __enter__(self) -> "ClipSink":
        tmp = self._stack.enter_context(atomic_output(self.out_path, suffix=".mp4"))
        self._writer = self._stack.enter_context(
            VideoWriter(tmp, self.size[0], self.size[1], self.job.fps, preset=self.job.preset, crf=self.job.crf))
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            try:
                self._finish()
            except BaseException as error:  # the writer aborts, the temporary file goes: then it propagates
                if not self._stack.__exit__(type(error), error, error.__traceback__):
                    raise
                return False
        return bool(self._stack.__exit__(exc_type, exc, tb))

    def push(self, chunk: list[np.ndarray], overlap: int = 0) -> None:
        """A chunk's frames (float RGB 0..1, one size); its first `overlap` frames repeat the tail's last."""
        frames = [np.asarray(f, dtype=np.float32) for f in chunk]
        if overlap:
            if overlap > len(self.tail):
                raise ValueError(f"a seam of {overlap} frames needs that many held, not {len(self.tail)}")
            start = len(self.tail) - overlap
            for j in range(overlap):
                w = (j + 1) / (overlap + 1)
                self.tail[start + j] = (1 - w) * self.tail[start + j] + w * frames[j]
        joined = self.tail + frames[overlap:]
        final, self.tail = joined[:-self.overlap], joined[-self.overlap:]
        for frame in final:
            self._native(frame)

    def _native(self, frame: np.ndarray) -> None:
        frame8 = (np.clip(frame, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
        for steady in self._steady.push(frame8) if self._steady else [frame8]:
            self._film(self._retimer.push(steady))

    def _film(self, frames: list[np.ndarray]) -> None:
        assert self._writer is not None, "ClipSink is used inside a with block"
        for frame in frames:
            if self.written % CANCEL_EVERY == 0:
                check_cancel(self.cancel)
            self._writer.write(fit_frame(frame, self.size))
            self.written += 1

    def _finish(self) -> None:
        for frame in self.tail:
            self._native(frame)
        self.tail = []
        if self._steady is not None:
            for frame in self._steady.close():
                self._film(self._retimer.push(frame))
        self._film(self._retimer.close())
        if self.progress is not None:
            self.progress(1.0)


__all__ = ["ClipSink"]
