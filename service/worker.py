"""A model worker: a child process that holds one model (or a worker group's models) on one
device and runs them on photos.

Started by ``service.pool`` as ``python -m service.worker FD``, where FD is its end of a
socket pair. The pool can kill it at any moment (a hung or crashed model), which returns
all of its memory to the system; nothing else lives in this process.

The messages are ``service.protocol``'s.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
import traceback
from collections import OrderedDict
from multiprocessing.connection import Connection

log = logging.getLogger("portrait_blur.worker")


def die_with_parent(period_s: float = 1.0) -> None:
    """Exit if the server goes away without stopping this worker (killed, crashed), even
    while a model hangs in native code. (Linux's PR_SET_PDEATHSIG would fire when the
    *thread* that started the worker ends, which in the server is any session's thread.)"""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(period_s)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def go_offline() -> None:
    """The pool found the Hub unreachable: make every library's download fail at once."""
    from huggingface_hub import constants

    os.environ["HF_HUB_OFFLINE"] = "1"
    constants.HF_HUB_OFFLINE = True


class Inputs:
    """The photo as each model is handed it, capped by the registry's input policy; the
    last photo's decodes are kept, so a group's models on one photo decode it once."""

    def __init__(self) -> None:
        self._photo: bytes | None = None
        self._images: dict[int | None, object] = {}

    def image(self, spec, data: bytes, name: str):
        from photo.decode import decode_photo

        if data != self._photo:
            self._photo, self._images = data, {}
        side = spec.photo_max_side
        if side not in self._images:
            if side:
                self._images[side] = decode_photo(data, name, draft_side=side).fitted(side)
            else:
                self._images[side] = decode_photo(data, name).model_image
        return self._images[side]

    def clear(self) -> None:
        self._photo, self._images = None, {}


class Clips:
    """The segmenter of each clip a model is on: a model that carries state across frames
    (``clip()``) gets one per clip (several sessions may send theirs in turn), which must
    be handed the clip's frames in order; any other segments frame by frame."""

    KEPT = 8  # clips whose state is kept per worker, the least recently used dropped first

    def __init__(self) -> None:
        self._held: OrderedDict[tuple[str, str], list] = OrderedDict()  # -> [model, next]

    def segmenter(self, key: str, model, clip_id: str, first: int, count: int):
        """The segmenter for frames ``first`` to ``first + count`` of the clip; raises if
        the frames before them were never handed to this process (it was restarted)."""
        if not hasattr(model, "clip"):
            return model
        held = self._held.get((key, clip_id))
        if first == 0:
            held = self._held[(key, clip_id)] = [model.clip(), 0]
        elif held is None or held[1] != first:
            self._held.pop((key, clip_id), None)
            raise RuntimeError(
                "its state from the clip's earlier frames is gone (its worker was restarted "
                "mid-clip); run it again"
            )
        self._held.move_to_end((key, clip_id))
        while len(self._held) > self.KEPT:
            self._held.popitem(last=False)
        held[1] = first + count
        return held[0]


def segment_frames(segmenter, frames) -> tuple[object, float]:
    """The mattes of N frames (N x H x W uint8) and their inference seconds in all."""
    import numpy as np
    from PIL import Image

    from models import runtime

    mattes, seconds = [], 0.0
    for rgb in frames:
        matte, took = runtime.segment(segmenter, Image.fromarray(rgb))
        mattes.append(matte)
        seconds += took
    return np.stack(mattes), seconds


def serve(conn: Connection) -> None:
    from models import cpu_fast, hub, runtime
    from models.errors import caused_by_memory, describe_failure
    from service.memory import release_memory
    from service.protocol import (
        Done,
        Download,
        Failed,
        FramesDone,
        FromWorker,
        Load,
        Run,
        RunFrames,
        Stage,
    )  # fmt: skip

    load: Load = conn.recv()
    device = load.device
    send_lock = threading.Lock()  # downloads may report progress from their own threads

    def send(message: FromWorker) -> None:
        with send_lock:
            conn.send(message)

    hub.set_progress_listener(lambda label, done, total: send(Download(done, total)))
    cpu_fast.set_export_listener(lambda: send(Stage("prepare")))
    segmenters = {}  # by registry key
    inputs, clips = Inputs(), Clips()
    while True:
        try:
            job: Run | RunFrames = conn.recv()
        except EOFError:
            return  # the pool closed its end: shut down
        spec = job.spec
        try:
            load_s = 0.0
            if spec.key not in segmenters:
                send(Stage("load"))
                if not job.hub_online:
                    go_offline()
                start = time.perf_counter()
                segmenters[spec.key] = runtime.build_segmenter(spec, device)
                load_s = time.perf_counter() - start
            if isinstance(job, RunFrames):
                send(Stage("run"))
                model = clips.segmenter(spec.key, segmenters[spec.key], job.clip_id, job.first,
                                        len(job.frames))  # fmt: skip
                mattes, inference_s = segment_frames(model, job.frames)
                send(FramesDone(mattes, inference_s, load_s))
                continue
            image = inputs.image(spec, job.photo_bytes, job.photo_name)
            send(Stage("run"))
            matte, inference_s = runtime.segment(segmenters[spec.key], image, job.guide)
            send(Done(matte, inference_s, load_s, image.size))
            del image
            if spec.worker_group is None:
                inputs.clear()
                release_memory()  # a photo's decode is the bulk of a worker's peak
        except Exception as error:  # noqa: BLE001 - every failure goes back as a message
            inputs.clear()
            send(Failed(describe_failure(spec, error), traceback.format_exc(),
                        caused_by_memory(error)))  # fmt: skip


def main() -> None:
    die_with_parent()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(message)s")
    fd = int(sys.argv[1])
    serve(Connection(fd))


if __name__ == "__main__":
    main()
