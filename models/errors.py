"""User-facing model failures: one message per cause, naming the model and the fix."""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator

from huggingface_hub import errors as hub_errors

from models.paths import hub_cache
from models.registry import ModelSpec


class ModelUnavailable(RuntimeError):
    """A model cannot be loaded here, with a message that tells the user what to do."""


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__


def _is_offline(error: BaseException) -> bool:
    if isinstance(error, hub_errors.LocalEntryNotFoundError | hub_errors.OfflineModeIsEnabled):
        return True
    name = type(error).__name__
    return name in {"ConnectError", "ConnectTimeout", "ConnectionError", "NameResolutionError"}


def is_out_of_memory(error: BaseException) -> bool:
    return isinstance(error, MemoryError) or "out of memory" in str(error).lower()


def _is_denied(spec: ModelSpec, error: BaseException) -> bool:
    if isinstance(error, hub_errors.GatedRepoError):
        return True
    if spec.gated and isinstance(error, hub_errors.RepositoryNotFoundError):
        return True  # without a token the Hub hides a gated repo
    response = getattr(error, "response", None)
    return isinstance(error, hub_errors.HfHubHTTPError) and getattr(
        response, "status_code", None
    ) in (401, 403)


def shown_path(path: str) -> str:
    """A path as a message shows it: the home folder as ``~``."""
    home = os.path.expanduser("~")
    return "~" + path[len(home) :] if home != "/" and path.startswith(home + os.sep) else path


def offline_message(spec: ModelSpec, cache: str) -> str:
    cache = shown_path(cache)
    if spec.weights_url:
        host = spec.weights_host
        where = f"{host} cannot be reached (offline). Its weights come from {spec.weights_url}"
    else:
        where = f"the Hugging Face Hub cannot be reached (offline). Its files come from {spec.repo}"
    first = (
        f" It is gated: accept its licence at {spec.url} and set HF_TOKEN to a token of that "
        "account first."
        if spec.gated
        else ""
    )
    return (
        f"{spec.label} is not downloaded yet and {where} and are cached in {cache}.{first} With "
        f"internet, run `uv run portrait-blur models --check {spec.key}` once (about "
        f"{spec.download_mb} MB), then it works offline."
    )


def checksum_message(spec: ModelSpec, digest: str) -> str:
    return (
        f"{spec.label}: the file downloaded from {spec.weights_url} has MD5 {digest}, not the "
        f"{spec.weights_md5} this entry was made with, so it was not kept. The file at that "
        f"address changed or the download was damaged; report it at {spec.url} if it persists."
    )


def download_failed_message(spec: ModelSpec, error: BaseException) -> str:
    return (
        f"{spec.label}: downloading {spec.weights_url} failed ({error}); nothing partial was "
        f"kept. Check the connection and run `uv run portrait-blur models --check {spec.key}`."
    )


def incomplete_message(spec: ModelSpec, missing: str, where: object) -> str:
    return (
        f"{spec.label}'s download is incomplete ({missing} missing in {where}), probably "
        f"interrupted. With internet, run `uv run portrait-blur models --check {spec.key}` to "
        "finish it; nothing partial is loaded."
    )


def gated_message(spec: ModelSpec) -> str:
    return (
        f"{spec.label} is gated on the Hugging Face Hub: accept its licence at {spec.url} "
        "while logged in, then set HF_TOKEN to a token of that account (or run "
        "`uv run hf auth login`) and restart the app."
    )


def out_of_memory_message(spec: ModelSpec) -> str:
    return (
        f"{spec.label} ran out of memory. Choose CPU as the compute device, "
        "tick fewer models, or use a smaller photo."
    )


def is_unsafe_pickle(error: BaseException) -> bool:
    return isinstance(error, pickle.UnpicklingError) and "weights only" in str(error).lower()


def unsafe_pickle_message(spec: ModelSpec) -> str:
    return (
        f"{spec.label}: its weights file holds Python objects besides weights, whose loading "
        "could run code; this app loads weights only, so the model is refused. The file "
        f"is not what this entry was checked with: report it at {spec.url}."
    )


def caused_by_memory(error: BaseException) -> bool:
    return any(is_out_of_memory(cause) for cause in _chain(error))


def describe_failure(spec: ModelSpec, error: BaseException) -> str:
    """One clear line for the model's column; never a traceback."""
    for cause in _chain(error):
        if isinstance(cause, ModelUnavailable):
            return str(cause)
        if _is_denied(spec, cause):
            return gated_message(spec)
        if isinstance(cause, hub_errors.IncompleteSnapshotError):
            return incomplete_message(spec, "files", cause.snapshot_path or "the cache")
        if _is_offline(cause) and (spec.repo or spec.weights_url):
            return offline_message(spec, str(hub_cache()))
        if is_out_of_memory(cause):
            return out_of_memory_message(spec)
        if is_unsafe_pickle(cause):
            return unsafe_pickle_message(spec)
    summary = str(error).strip().splitlines()[0] if str(error).strip() else ""
    name = type(error).__name__
    return f"{spec.label} failed: {name}: {summary}" if summary else f"{spec.label} failed: {name}"
