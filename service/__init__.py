"""Streamlit-free model service shared by the app and the `portrait-blur` command.

``pool``: one worker process per (model, device), shared by every session, under a memory
budget, killed on a hang or crash. ``session``: one user's photos, results and background
runs. ``worker``: the child process that holds a model.
"""

from service.logs import configure_logging
from service.pool import JobState, ModelPool, PhotoFile, reset_shared_pool, shared_pool
from service.session import Job, ResultKey, Session, StoredPhoto, ViewKey

__all__ = [
    "Job",
    "JobState",
    "ModelPool",
    "PhotoFile",
    "ResultKey",
    "Session",
    "StoredPhoto",
    "ViewKey",
    "configure_logging",
    "reset_shared_pool",
    "shared_pool",
]
