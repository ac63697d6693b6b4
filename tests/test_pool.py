"""The model pool with plain threads and real worker processes (stand-in models)."""

from __future__ import annotations

import logging
import os
import threading
import time

import psutil
import pytest

from models import hub, registry
from service import ModelPool, PhotoFile
from tests.conftest import ROOT
from tests.standins.adapters import SPIKE_MB, loads
from tests.waiting import DEADLINE_S, wait_until


@pytest.fixture
def photo(astronaut_path) -> PhotoFile:
    return PhotoFile("astronaut.png", astronaut_path.read_bytes())


@pytest.fixture
def pool():
    pool = ModelPool(ram_budget_mb=10_000, gpu_budget_mb=10_000)
    yield pool
    pool.shutdown()


def in_threads(*runs) -> list:
    """Run each callable in its own thread at once; their return values, in order."""
    results = [None] * len(runs)

    def call(i, run):
        results[i] = run()

    threads = [threading.Thread(target=call, args=(i, run)) for i, run in enumerate(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_a_result_is_a_compact_matte_at_the_photo_size(pool, photo, add_standin_model):
    spec = add_standin_model("square", "Square")
    result = pool.run(spec, photo, "cpu")
    assert result.ok, result.error
    assert result.matte.dtype.name == "uint8" and result.matte.shape == (512, 512)
    assert result.matte[256, 256] == 255 and result.matte[5, 5] == 0
    assert result.load_s > 0 and result.inference_s >= 0


def test_two_sessions_share_a_model_while_one_switches_device(pool, photo, add_standin_model):
    spec = add_standin_model("square", "Square", devices=("cuda", "cpu"))

    def steady():  # one session stays on the CPU
        return [pool.run(spec, photo, "cpu") for _ in range(6)]

    def switching():  # another switches device back and forth
        return [pool.run(spec, photo, device) for device in ("cpu", "cuda", "cpu", "cuda")]

    steady_results, switching_results = in_threads(steady, switching)
    assert all(r.ok for r in steady_results + switching_results)
    assert [r.device for r in switching_results] == ["cpu", "cuda", "cpu", "cuda"]
    built = loads()
    assert sorted((key, device) for key, device, _ in built) == [
        ("square", "cpu"),
        ("square", "cuda"),
    ]  # one copy per device, loaded once, never reloaded by the other session
    assert pool.jobs[("square", "cpu")] == 8


def test_a_hanging_model_is_killed_and_the_next_call_works(
    pool, photo, add_standin_model, standin_flags
):
    spec = add_standin_model("square", "Square", timeout_s=3.0)
    assert pool.run(spec, photo, "cpu").ok  # loaded: the timeout counts inference only
    pid = pool.worker_pids()[("square", "cpu")]
    (standin_flags / "square.hang").touch()
    result = pool.run(spec, photo, "cpu")
    assert result.error.startswith("Square took longer than 3 s on this photo and was stopped")
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert pool.loaded() == []

    (standin_flags / "square.hang").unlink()
    assert pool.run(spec, photo, "cpu").ok  # a fresh worker
    assert [p for _, _, p in loads()][-1] != pid


def test_time_queued_behind_other_sessions_is_not_running_time(pool, photo, add_standin_model):
    spec = add_standin_model("slow", "Slow", timeout_s=3.5)  # 1 s per photo
    assert pool.run(spec, photo, "cpu").ok
    states = []
    runs = [
        lambda: pool.run(spec, photo, "cpu", on_state=states.append) for _ in range(5)
    ]  # the last waits at least 4 s in the queue, more than the timeout
    results = in_threads(*runs)
    assert all(r.ok for r in results), [r.error for r in results]
    assert any(s.stage == "queued" and s.ahead >= 1 for s in states)


def test_download_progress_reaches_the_caller(pool, photo, add_standin_model):
    spec = add_standin_model("downloads", "Downloading")
    states = []
    assert pool.run(spec, photo, "cpu", on_state=states.append).ok
    downloads = [(s.done_bytes, s.total_bytes) for s in states if s.stage == "downloading"]
    assert (500_000, 2_000_000) in downloads and downloads[-1] == (2_000_000, 2_000_000)
    assert [s.stage for s in states][-1] == "running"


def test_a_crashed_model_says_so_and_restarts(pool, photo, add_standin_model, caplog):
    crashes = add_standin_model("crashes", "Crashing")
    logging.getLogger("portrait_blur").addHandler(caplog.handler)
    result = pool.run(crashes, photo, "cpu")
    assert result.error.startswith("Crashing crashed (exit code 3) and was stopped")
    assert "died (exit code 3)" in caplog.text
    pool.run(crashes, photo, "cpu")
    assert pool.starts[("crashes", "cpu")] == 2  # each run got a fresh worker


def test_a_failure_logs_its_traceback_and_the_ui_gets_one_line(
    pool, photo, add_standin_model, caplog
):
    spec = add_standin_model("broken", "Broken")
    logging.getLogger("portrait_blur").addHandler(caplog.handler)
    result = pool.run(spec, photo, "cpu")
    assert result.error == "Broken failed: OSError: weights file is corrupt"
    assert "Traceback (most recent call last)" in caplog.text
    assert "OSError: weights file is corrupt" in caplog.text


def test_a_model_that_fails_then_is_fixed_runs_on_the_next_call(
    pool, photo, add_standin_model, standin_flags
):
    spec = add_standin_model("square", "Square")
    (standin_flags / "square.broken").touch()
    assert "not downloaded yet" in pool.run(spec, photo, "cpu").error
    (standin_flags / "square.broken").unlink()  # the user ran the download
    assert pool.run(spec, photo, "cpu").ok


def test_out_of_memory_unloads_the_model(pool, photo, add_standin_model):
    spec = add_standin_model("greedy", "Greedy")
    result = pool.run(spec, photo, "cpu")
    assert result.error.startswith("Greedy ran out of memory")
    assert pool.loaded() == []


def test_the_memory_budget_evicts_the_least_recently_used(photo, add_standin_model):
    # Room for two plans, not three, whatever a stand-in's worker measures below its plan
    # (about 80 MB): the budget counts the larger of the two.
    pool = ModelPool(ram_budget_mb=1000)
    try:
        a, b, c = (add_standin_model(f"square-{n}", n, memory_mb=400) for n in "abc")
        for spec in (a, b, c):
            assert pool.run(spec, photo, "cpu").ok
        assert {key for key, _, _ in pool.loaded()} == {"square-b", "square-c"}
        pool.run(b, photo, "cpu")  # b is now more recent than c
        pool.run(a, photo, "cpu")
        assert {key for key, _, _ in pool.loaded()} == {"square-a", "square-b"}
    finally:
        pool.shutdown()


def test_the_budget_counts_a_workers_peak_not_what_it_holds_after_a_photo(
    photo, add_standin_model
):
    """A plan (memory_mb) is a worker's resident memory while it runs; its measure is the
    process's high-water mark, never a sample taken as the answer arrives, which would
    depend on whether the worker had freed the photo yet (so on the machine's load)."""
    pool = ModelPool(ram_budget_mb=SPIKE_MB)
    try:
        spiky = add_standin_model("spikes", "Spiky", memory_mb=100)
        small = add_standin_model("square", "Small", memory_mb=100)
        assert pool.run(spiky, photo, "cpu").ok
        assert [mb for _, _, mb in pool.loaded()][0] >= SPIKE_MB
        assert pool.run(small, photo, "cpu").ok  # the spiky one's peak leaves no room
        assert {key for key, _, _ in pool.loaded()} == {"square"}
    finally:
        pool.shutdown()


def test_a_model_in_use_is_never_evicted(photo, add_standin_model, standin_flags):
    pool = ModelPool(ram_budget_mb=150)
    try:
        held = add_standin_model("square-held", "Held")
        other = add_standin_model("square-other", "Other")
        assert pool.run(held, photo, "cpu").ok
        (standin_flags / "square-held.hang").touch()  # its next photo runs until let go
        running, outcome = threading.Event(), []
        runner = threading.Thread(target=lambda: outcome.append(pool.run(
            held, photo, "cpu", on_state=lambda s: s.stage == "running" and running.set())))
        runner.start()
        assert running.wait(DEADLINE_S)
        assert pool.run(other, photo, "cpu").ok  # needs room while held is running
        assert {key for key, _, _ in pool.loaded()} == {"square-held", "square-other"}
        (standin_flags / "square-held.hang").unlink()
        runner.join(DEADLINE_S)
        assert outcome[0].ok
        assert {key for key, _, _ in pool.loaded()} == {"square-held", "square-other"}
    finally:
        pool.shutdown()


def test_shutdown_never_waits_for_a_hung_model(photo, add_standin_model):
    pool = ModelPool()
    spec = add_standin_model("hangs", "Hangs", timeout_s=3600)
    running, outcome = threading.Event(), []
    runner = threading.Thread(target=lambda: outcome.append(pool.run(
        spec, photo, "cpu", on_state=lambda s: s.stage == "running" and running.set())))
    runner.start()
    assert running.wait(DEADLINE_S)  # the model is hung on the photo now
    start = time.monotonic()
    pool.shutdown()
    runner.join(DEADLINE_S)
    # Ended, and with a margin that no load takes away from the model's 3600 s limit.
    assert not runner.is_alive() and time.monotonic() - start < DEADLINE_S
    assert not outcome[0].ok


def test_a_model_not_in_the_cache_fails_fast_offline(pool, photo, offline_hub, hub_probes):
    result = pool.run(registry.get_spec("sam3"), photo, "cpu")
    assert result.error.startswith("SAM3 is not downloaded yet")
    assert not pool.starts and hub_probes == []  # no worker started, no network waited on


def test_an_unreachable_hub_is_probed_once_and_fails_fast(pool, photo, monkeypatch, tmp_path):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setattr(constants, "ENDPOINT", "https://hub.invalid")
    for name in hub.PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    hub.forget_probe()
    probes = []
    real = hub._probe
    monkeypatch.setattr(hub, "_probe", lambda url: probes.append(url) or real(url))
    try:
        for key in ("sam3", "ben2", "withoutbg_focus"):
            assert (
                "cannot be reached (offline)"
                in pool.run(registry.get_spec(key), photo, "cpu").error
            )
        assert probes == ["https://hub.invalid"]  # one bounded probe for all three
        assert not pool.starts  # and no worker started
    finally:
        hub.forget_probe()


def test_a_cached_file_never_touches_the_network(offline_hub, monkeypatch):
    spec = registry.get_spec("sam3")
    offline_hub.add(spec.repo, {"sam3.pt": b"weights"})

    def no_network(*args, **kwargs):
        raise AssertionError("asked the Hub for a cached file")

    monkeypatch.setattr(hub, "hf_hub_download", no_network)
    assert hub.fetch_file(spec, "sam3.pt").read_bytes() == b"weights"
    assert hub.missing_files(spec) == []


def test_a_model_that_would_not_fit_in_free_memory_is_refused_before_it_starts(
    pool, photo, add_standin_model
):
    free_gb = psutil.virtual_memory().available / 2**30
    huge = add_standin_model("square-huge", "Huge Stand-in", memory_mb=int(free_gb * 1024) * 4)
    result = pool.run(huge, photo, "cpu")
    assert result.error.startswith("Huge Stand-in needs about ")
    assert "GB is free on this machine now" in result.error
    assert pool.starts[("square-huge", "cpu")] == 0  # refused, not started and killed
    small = add_standin_model("square-small", "Small Stand-in")
    assert pool.run(small, photo, "cpu").ok  # the rest keeps working


def test_model_workers_run_with_usage_reporting_off():
    from service.environment import worker_environment

    env = worker_environment()
    assert env["HF_HUB_DISABLE_TELEMETRY"] == "1" and env["DO_NOT_TRACK"] == "1"
    assert env["PYTHONPATH"].split(os.pathsep)[0] == str(ROOT)


def test_a_model_too_big_for_the_free_gpu_memory_is_refused_before_it_starts(
    pool, photo, add_standin_model, monkeypatch
):
    """CUDA with device memory mocked: the GPU's free memory (read through NVML) decides."""
    from models import devices

    spec = add_standin_model("square", "Big", memory_mb=6000)
    monkeypatch.setattr(devices, "gpu_free_mb", lambda: 1024.0)
    result = pool.run(spec, photo, "cuda")
    assert not result.ok
    assert result.error.startswith("Big needs about 5.9 GB of GPU memory, and the GPU has 1.0 GB")
    assert pool.loaded() == []  # nothing was started
    monkeypatch.setattr(devices, "gpu_free_mb", lambda: 8192.0)
    assert pool.run(spec, photo, "cuda").ok
    assert pool.run(spec, photo, "cpu").ok  # the CPU needs no GPU memory


def test_the_timeout_follows_the_cost_class(pool, photo, add_standin_model, monkeypatch):
    spec = add_standin_model("slow", "Slow", cost=registry.Cost("tiny", 0.1, 0.05))
    monkeypatch.setattr(registry, "MIN_TIMEOUT_S", 0.5)
    assert spec.timeout("cpu") == 0.5 and spec.timeout_s is None
    result = pool.run(spec, photo, "cpu")  # 1 s per photo
    assert not result.ok and "took longer than 0.5 s" in result.error


def test_jobs_under_way_counts_every_sessions_waiting_and_running_jobs(
    pool, photo, add_standin_model, standin_flags
):
    spec = add_standin_model("square", "Square")
    (standin_flags / "square.hang").touch()  # the first job runs until let go, three wait
    outcomes = []
    runners = [threading.Thread(target=lambda: outcomes.append(pool.run(spec, photo, "cpu")))
               for _ in range(4)]  # fmt: skip
    for runner in runners:
        runner.start()
    wait_until(lambda: pool.jobs_under_way() == 4, "four jobs under way")
    (standin_flags / "square.hang").unlink()
    for runner in runners:
        runner.join(DEADLINE_S)
    assert len(outcomes) == 4 and all(r.ok for r in outcomes)
    assert pool.jobs_under_way() == 0
