"""This browser session's service record, and the page's memory of options Streamlit forgets."""

from __future__ import annotations

from functools import partial

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from service import Session, shared_pool


def page_open(session_id: str) -> bool:
    """Whether a browser session is still connected to this server."""
    from streamlit.runtime import Runtime

    return not Runtime.exists() or Runtime.instance().is_active_session(session_id)


def user_session() -> Session:
    """This browser session's photos, results and runs (emptied once its page has been
    gone for Streamlit's disconnected-session TTL)."""
    if "session" not in st.session_state:
        context = get_script_run_ctx()
        st.session_state["session"] = Session(
            shared_pool(),
            page_open=partial(page_open, context.session_id) if context else None,
            grace_s=float(st.get_option("server.disconnectedSessionTTL")),
        )
    return st.session_state["session"]


def kept(option: str, default):
    """A view's option as last chosen: Streamlit forgets a widget's own state on the first
    run that does not draw it (one in another view), so the page keeps it."""
    return st.session_state.get(f"kept:{option}", default)


def keep(option: str, value):
    st.session_state[f"kept:{option}"] = value
    return value
