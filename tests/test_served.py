"""ui.served against Streamlit's own media file manager: an image replaced by a fragment's
rerun (a slider step) is still served through the next run, then deleted."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
import streamlit as st
from PIL import Image
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

from ui.served import keep_served


def jpeg(shade: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (shade, shade, shade)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def media(monkeypatch) -> MediaFileManager:
    """A media file manager as a server's, behind st.image (bare mode has none)."""
    manager = MediaFileManager(MemoryMediaFileStorage("/media"))
    monkeypatch.setattr("streamlit.runtime.exists", lambda: True)
    monkeypatch.setattr(
        "streamlit.runtime.get_instance", lambda: SimpleNamespace(media_file_mgr=manager)
    )
    st.session_state.clear()
    return manager


def fragment_run(manager: MediaFileManager, image: bytes, kept: bool) -> set[str]:
    """What a fragment rerun of one image does to the served files: st.image in the same
    place, then Streamlit's clean-up at the end of the run; the files served after it."""
    st.image(image, width="stretch")  # the same place each run, as on a rerun
    if kept:
        keep_served("grid/photo/model", image)
    manager.remove_orphaned_files()
    return set(manager._file_metadata)


def test_a_replaced_image_is_served_one_run_longer(media):
    first, second, third = (fragment_run(media, jpeg(shade), kept=True) for shade in (0, 120, 240))
    assert len(first) == 1
    assert first < second and len(second) == 2  # the first image is still served
    assert not first & third and len(third) == 2  # then only the last two


def test_without_it_streamlit_deletes_the_image_at_once(media):
    first, second = (fragment_run(media, jpeg(shade), kept=False) for shade in (0, 120))
    assert not first & second  # a browser still asking for the first one gets a 404
