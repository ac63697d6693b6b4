"""Downloads, progress and the one-message-per-cause rule, with the Hub mocked at its edge."""

from __future__ import annotations


import httpx
import pytest
from huggingface_hub import errors as hub_errors

from models import hub, registry, runtime
from models.errors import describe_failure
from tests.conftest import red_subject_on_green
from tests.waiting import DEADLINE_S, wait_until


def http_error(kind: type, status: int, repo: str = "briaai/RMBG-2.0") -> Exception:
    request = httpx.Request("GET", f"https://huggingface.co/{repo}/resolve/main/config.json")
    return kind(f"{status} error", response=httpx.Response(status, request=request))


@pytest.fixture
def hub_raises(monkeypatch):
    def make(error: Exception) -> None:
        def fail(*args, **kwargs):
            raise error

        monkeypatch.setattr(hub, "snapshot_download", fail)
        monkeypatch.setattr(hub, "hf_hub_download", fail)

    return make


def test_gated_repo_says_so_and_links_the_model_page(hub_raises):
    hub_raises(http_error(hub_errors.GatedRepoError, 403))
    result = runtime.run_model("rmbg2", red_subject_on_green((64, 64)), "cpu")
    assert result.error.startswith("RMBG 2.0 is gated")
    assert "https://huggingface.co/briaai/RMBG-2.0" in result.error
    assert "HF_TOKEN" in result.error


def test_gated_repo_without_token_looks_missing_and_is_explained(hub_raises):
    hub_raises(http_error(hub_errors.RepositoryNotFoundError, 401))
    result = runtime.run_model("rmbg2", red_subject_on_green((64, 64)), "cpu")
    assert result.error.startswith("RMBG 2.0 is gated")


def test_no_network_is_the_offline_message(hub_raises, offline_hub):
    hub_raises(httpx.ConnectError("[Errno -3] Temporary failure in name resolution"))
    result = runtime.run_model("ben2", red_subject_on_green((64, 64)), "cpu")
    assert "cannot be reached (offline)" in result.error
    assert "PramaLLC/BEN2" in result.error and str(offline_hub.root) in result.error


def test_messages_show_the_home_folder_as_a_tilde(monkeypatch):
    from models.errors import offline_message

    monkeypatch.setenv("HOME", "/home/ada")
    spec = registry.get_spec("ben2")
    message = offline_message(spec, "/home/ada/.cache/huggingface/hub")
    assert "cached in ~/.cache/huggingface/hub." in message
    assert "cached in /srv/hub." in offline_message(spec, "/srv/hub")
    assert "/home/adam/hub" in offline_message(spec, "/home/adam/hub")  # not ada's home


def test_out_of_memory_on_the_device(hub_raises):
    hub_raises(RuntimeError("CUDA out of memory. Tried to allocate 3.00 GiB"))
    result = runtime.run_model("birefnet_hr_matting", red_subject_on_green((64, 64)), "cuda")
    assert result.error.startswith("BiRefNet HR Matting ran out of memory")
    assert "CPU" in result.error


def test_cause_is_found_through_wrapping_exceptions():
    spec = registry.get_spec("withoutbg_focus")
    try:
        try:
            raise hub_errors.LocalEntryNotFoundError("not in cache")
        except Exception as inner:
            raise RuntimeError("Failed to download withoutBG Open Weights Model") from inner
    except RuntimeError as wrapped:
        message = describe_failure(spec, wrapped)
    assert "cannot be reached (offline)" in message


def test_other_failures_keep_their_one_line_summary():
    spec = registry.get_spec("birefnet_portrait")
    message = describe_failure(spec, ValueError("size mismatch for head.weight\n  huge dump"))
    assert message == "BiRefNet Portrait failed: ValueError: size mismatch for head.weight"


def test_download_progress_is_published_while_it_runs(monkeypatch, tmp_path):
    seen = []

    def fake_download(repo, filename, revision=None, tqdm_class=None):
        bar = tqdm_class(total=2_000_000, unit="B")
        bar.update(500_000)
        bar.update(1_500_000)
        bar.close()
        path = tmp_path / filename
        path.write_bytes(b"x")
        return str(path)

    monkeypatch.setattr(hub, "hf_hub_download", fake_download)
    monkeypatch.setattr(hub, "cached_file", lambda *args: None)
    hub.set_progress_listener(lambda *report: seen.append(report))
    try:
        hub.fetch_file(registry.get_spec("sam3"), "sam3.pt")
    finally:
        hub.set_progress_listener(None)
    assert ("SAM3", 500_000, 2_000_000) in seen and seen[-1] == ("SAM3", 2_000_000, 2_000_000)


class FakeTree:
    """HfApi.list_repo_tree at its boundary: a repo's files with their sizes (a README
    and a picture the model does not need among them)."""

    def __init__(self, sizes: dict[str, int]) -> None:
        self.sizes, self.asked = sizes, []

    def __call__(self, repo, revision=None, recursive=False):
        from types import SimpleNamespace

        self.asked.append((repo, revision))
        return [SimpleNamespace(path=path, size=size) for path, size in self.sizes.items()]


@pytest.mark.parametrize(
    ("key", "sizes", "mb"),
    [
        ("birefnet_portrait", {"model.safetensors": 884_878_856, "birefnet.py": 90_000,
                               "BiRefNet_config.py": 900, "config.json": 1_000,
                               "README.md": 5_000, "demo.jpg": 3_000_000}, 885),
        ("withoutbg_focus", {"withoutbg-open-weights.onnx": 1_000, "router.onnx": 120_000_000,
                             "matting.onnx": 200_000_000, "birefnet.onnx": 900_000_000,
                             "withoutbg-open-weights.onnx.json": 2_000, "README.md": 5_000},
         1220),
    ],
)  # fmt: skip
def test_download_sizes_come_from_the_hub_listing_and_are_kept(
    offline_hub, monkeypatch, key, sizes, mb
):
    from huggingface_hub import HfApi

    spec = registry.get_spec(key)
    tree = FakeTree(sizes)
    monkeypatch.setattr(HfApi, "list_repo_tree", lambda api, *args, **kwargs: tree(*args, **kwargs))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", False)
    monkeypatch.setattr(hub, "known_offline", lambda url=None: False)
    assert hub.availability(spec) == f"~{spec.download_mb:,} MB download"  # the estimate
    assert hub.measure_download_mb(spec) == mb
    assert tree.asked == [(spec.repo, spec.revision)]  # withoutBG: the pinned revision
    assert hub.availability(spec) == f"{mb:,} MB download"  # measured, kept for later
    assert hub.known_download_mb(spec) == mb


def test_a_probe_waiting_on_the_network_never_holds_up_the_sidebar(monkeypatch):
    """known_offline (asked per model on every rerun) answers while another thread's probe
    still waits; a second caller for the same host waits for that probe instead of probing."""
    import threading

    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    hub.forget_probe()
    release, probes = threading.Event(), []

    def slow_probe(url):
        probes.append(url)
        release.wait(DEADLINE_S)  # let go by the test
        return False

    monkeypatch.setattr(hub, "_probe", slow_probe)
    url = "https://slow.invalid/x"
    answers = []
    callers = [threading.Thread(target=lambda: answers.append(hub.hub_reachable(url)))
               for _ in range(2)]  # fmt: skip
    try:
        for caller in callers:
            caller.start()
        wait_until(lambda: probes, "the first caller's probe")
        sidebar = threading.Thread(target=lambda: answers.append(hub.known_offline(url)))
        sidebar.start()
        sidebar.join(DEADLINE_S / 2)  # a sidebar held by the probe would wait DEADLINE_S
        assert not sidebar.is_alive() and answers == [False]  # not known yet, said at once
    finally:
        release.set()
        for caller in callers:
            caller.join(DEADLINE_S)
        hub.forget_probe()
    assert answers == [False, False, False] and probes == [url]


def test_a_gated_models_offline_message_names_the_token_it_needs_too():
    from models.errors import offline_message

    gated = offline_message(registry.get_spec("rmbg2"), "/cache")
    assert "HF_TOKEN" in gated and "accept its licence" in gated and "--check rmbg2" in gated
    assert "HF_TOKEN" not in offline_message(registry.get_spec("birefnet_portrait"), "/cache")


def test_a_stale_answer_is_refreshed_by_one_probe_whoever_asks(monkeypatch):
    """Every model of a page asks known_offline on each rerun: a stale answer is given at
    once by all of them, and one background probe refreshes it."""
    import threading

    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    release, probes = threading.Event(), []

    def slow_probe(url):
        probes.append(url)
        release.wait(DEADLINE_S)  # let go by the test
        return True

    monkeypatch.setattr(hub, "_probe", slow_probe)
    url = "https://stale.invalid/x"
    hub.forget_probe()
    with hub._probe_lock:
        hub._last_probe["stale.invalid"] = (False, -1e9)  # probed long ago: unreachable
    try:
        assert all(hub.known_offline(url) for _ in range(20))  # the old answer, at once
        wait_until(lambda: probes, "the background probe")
        assert probes == [url]
        assert sum(t.name == "hub-probe" for t in threading.enumerate()) == 1  # not one a call
    finally:
        release.set()
        hub.forget_probe()
