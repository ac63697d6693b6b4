"""This browser session's service record, and the page's memory of options Streamlit forgets."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

if TYPE_CHECKING:
    from service import Session

SESSION = "session"  # session_state's key for this browser session's service record


def page_open(session_id: str) -> bool:
    """Whether a browser session is still connected to this server."""
    from streamlit.runtime import Runtime

    return not Runtime.exists() or Runtime.instance().is_active_session(session_id)


def has_session() -> bool:
    """Whether this browser session has its service record yet (not on a first visit)."""
    return SESSION in st.session_state


def user_session() -> Session:
    """This browser session's photos, results and runs (emptied once its page has been
    gone for Streamlit's disconnected-session TTL). The service (the model pool, numpy,
    the Hub client) is imported on first use, after the page's first row is drawn."""
    from service import Session, shared_pool

    if not has_session():
        context = get_script_run_ctx()
        st.session_state[SESSION] = Session(
            shared_pool(),
            page_open=partial(page_open, context.session_id) if context else None,
            grace_s=float(st.get_option("server.disconnectedSessionTTL")),
        )
    return st.session_state[SESSION]


def kept(option: str, default):
    """A view's option as last chosen: Streamlit forgets a widget's own state on the first
    run that does not draw it (one in another view), so the page keeps it."""
    return st.session_state.get(f"kept:{option}", default)


def keep(option: str, value):
    st.session_state[f"kept:{option}"] = value
    return value
