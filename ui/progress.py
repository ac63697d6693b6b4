"""The progress of this session's runs, polled in a fragment so the script never waits for
them, except for runs that end in a moment (wait_if_soon)."""

from __future__ import annotations

import time

import streamlit as st

from service import Job, JobState, Session
from ui.text import as_text

POLL_SECONDS = 0.5
# Each poll reruns a fragment, which costs the server and the browser; when many jobs of
# many users are under way, every page polls half as often (measured with bench load).
BUSY_POLL_SECONDS, BUSY_JOBS = 1.0, 3
# Runs that take less than this in all (the in-box models) are shown together when the
# last ends, polled often: a page rerun per result would cost more than they do.
SOON_S, SOON_POLL_SECONDS = 1.0, 0.1
SOON_WAIT_S = 2 * SOON_S  # the most a rerun waits for them, on a busy machine


def job_text(job: Job) -> str:
    """Where one job is, in words: queued, downloading (bytes), loading, running."""
    return state_text(job.spec.label, job.state)


def state_text(label: str, state: JobState | None) -> str:
    """Where a model's job is in the pool (None: not handed to it yet), in words."""
    if state is None:  # the next of this session's jobs, not handed to the models yet
        return f"{label}: starting"
    seconds = time.monotonic() - state.since
    if state.stage == "queued":
        return f"{label}: queued behind {state.ahead} job(s) of other users"
    if state.stage == "starting":
        return f"{label}: starting its worker"
    if state.stage == "downloading":
        done, total = state.done_bytes / 1e6, state.total_bytes / 1e6
        return f"{label}: downloading {done:,.0f} / {total:,.0f} MB"
    if state.stage == "loading":
        return f"{label}: loading ({seconds:.0f} s)"
    if state.stage == "preparing":
        return f"{label}: preparing its fast CPU path, once ({seconds:.0f} s)"
    return f"{label}: running ({seconds:.1f} s)"


def wait_if_soon(session: Session) -> None:
    """Runs that end in a moment (loaded in-box models) are waited for here, so this rerun
    draws their results: a poll and a second page run would take longer than they do."""
    if session.busy and session.seconds_left() <= SOON_S:
        session.wait(SOON_WAIT_S)


def poll_seconds(jobs_under_way: int, seconds_left: float = float("inf")) -> float:
    if seconds_left <= SOON_S:
        return SOON_POLL_SECONDS
    return BUSY_POLL_SECONDS if jobs_under_way > BUSY_JOBS else POLL_SECONDS


def show_progress(session: Session, finished: int, named: bool = True) -> None:
    """The progress poll, as a fragment rerun every POLL_SECONDS, more often when what is
    left ends soon, less often when the models are busy with many users' jobs (the
    interval is set when the page reruns). Unless ``named``, it names no model (the
    Arena's)."""
    every = poll_seconds(session.pool.jobs_under_way(), session.seconds_left())
    st.fragment(poll_progress, run_every=every)(session, finished, named)


def poll_progress(session: Session, finished: int, named: bool = True) -> None:
    """Polls the runs: the real state of the next job; the page reruns when nothing is left
    to run, or when a result arrived and what is left takes a while, so the script itself
    never waits."""
    pending = session.pending()
    arrived = session.finished != finished
    if not pending or (arrived and session.seconds_left() > SOON_S):
        st.rerun(scope="app")
    job = pending[0]
    if not named:
        st.progress(session.progress(), text=f"Preparing results · {len(pending)} left")
        return
    text = f"{job_text(job)} · {as_text(job.photo.title)} · {len(pending)} left"
    st.progress(session.progress(), text=text)
