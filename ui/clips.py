"""The Video page's parts: its session, sidebar, players kept in sync, progress and scores."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import streamlit as st

from blur.composite import DEFAULT_STRENGTH, MAX_STRENGTH, MIN_STRENGTH
from evaluation.video.clip import ClipError, ClipInfo, probe
from evaluation.video.pipeline import Look
from evaluation.video.session import ClipJob, ClipResult, Truth, VideoSession
from models import ModelSpec
from service import shared_pool
from ui.progress import state_text
from ui.settings import blur_shape_settings, model_choices
from ui.text import as_text

VIEW_HELP = {
    "Blur": "The background blurred behind each model's mask, with the clip's sound",
    "Matte": "Each model's alpha: white is subject",
    "Overlay": "The clip tinted green where each model sees the subject",
}
SEEK_STYLE = (
    "<style>.seek{margin:0 .3rem .3rem 0;padding:.15rem .5rem;border-radius:.4rem;"
    "border:1px solid #8886;background:transparent;cursor:pointer;color:inherit}</style>"
)
SCORES_2DP = ("Flicker ‰", "MAD", "MSE", "dtSSD")
WORST_SHOWN = 5  # worst frames offered per result
POLL_SECONDS = 0.5

# Ties every player on the page together: a play, pause or seek on one (or on a "worst
# frame" button) is done on all; every half second the others are brought back to the
# one playing if they drifted. Set up once per page load; the page's reruns keep it.
SYNC_SCRIPT = """<script>
(() => {
  if (window.__clipSync) return;
  window.__clipSync = true;
  // A player the script moves answers with its own event a moment later (play, pause,
  // seeked): that one is not the user's and is not passed on, else the players would pull
  // at each other. Each move expects its event for a second at most.
  const expected = new WeakMap();  // player -> [{type, until}]
  const players = () => [...document.querySelectorAll("video")];
  const expect = (player, type) => {
    const list = expected.get(player) || [];
    list.push({ type, until: performance.now() + 1000 });
    expected.set(player, list);
  };
  const ours = (player, type) => {
    const now = performance.now();
    const list = (expected.get(player) || []).filter((e) => e.until > now);
    const index = list.findIndex((e) => e.type === type);
    if (index >= 0) list.splice(index, 1);
    expected.set(player, list);
    return index >= 0;
  };
  const seek = (player, time) => {
    if (Math.abs(player.currentTime - time) <= 0.04) return;
    expect(player, "seeked");
    player.currentTime = time;
  };
  const play = (player) => {
    if (!player.paused) return;
    expect(player, "play");
    player.play().catch(() => {});
  };
  const pause = (player) => {
    if (player.paused) return;
    expect(player, "pause");
    player.pause();
  };
  const others = (source) => players().filter((player) => player !== source);
  const follow = (type, act) => document.addEventListener(type, (event) => {
    const source = event.target;
    if (source.tagName !== "VIDEO" || ours(source, type)) return;
    for (const other of others(source)) act(other, source);
  }, true);
  follow("play", (other, source) => { seek(other, source.currentTime); play(other); });
  follow("pause", (other) => pause(other));
  follow("seeked", (other, source) => seek(other, source.currentTime));
  setInterval(() => {  // drift: the others are brought back to the one playing
    const lead = players().find((player) => !player.paused);
    if (!lead) return;
    for (const other of others(lead))
      if (Math.abs(other.currentTime - lead.currentTime) > 0.15) seek(other, lead.currentTime);
  }, 500);
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-seek]");
    if (!button) return;
    for (const player of players()) { pause(player); seek(player, +button.dataset.seek); }
  });
})();
</script>"""


@dataclass(frozen=True)
class ClipSettings:
    device: str
    chosen: list[ModelSpec]
    steady: bool
    look: Look


def video_session() -> VideoSession:
    if "video_session" not in st.session_state:
        st.session_state["video_session"] = VideoSession(shared_pool())
    return st.session_state["video_session"]


def sidebar() -> ClipSettings:
    with st.sidebar:
        st.header("Settings")
        device, chosen = model_choices(per="frame")
        chosen = [spec for spec in chosen if spec.base is None]
        st.subheader("Over time")
        steady = st.toggle(
            "Add steadied results",
            value=False,
            key="video:steady",
            help="Beside each model's own result, the same alpha smoothed over time where the "
            "picture barely changed (edges stop crawling on a still background; a subject "
            "that moves is followed at once). Scored like any other result.",
        )
        lens, clean = blur_shape_settings()
        strength = st.slider(
            "Blur strength", MIN_STRENGTH, MAX_STRENGTH, DEFAULT_STRENGTH, step=2,
            key="video:strength",
            help="Written into the blurred clips: a change runs the models again.",
        )  # fmt: skip
    return ClipSettings(device, chosen, steady, Look(strength, lens, clean))


def clip_caption(info: ClipInfo) -> str:
    sound = f"sound: {info.audio}" if info.audio else "no sound"
    text = (f"{as_text(info.name)} · {info.width}x{info.height} · {info.fps:.3g} fps · "
            f"{info.frame_count} frames · {info.duration_s:.1f} s · {sound}")  # fmt: skip
    return text + ("; " + "; ".join(info.notes) if info.notes else "")


def job_text(session: VideoSession, job: ClipJob) -> str:
    """Frames done and the time left once the model is on the clip; before, its stage."""
    if not job.frames_done:
        return state_text(job.spec.label, job.state)
    left = session.seconds_left(job)
    return (f"{job.spec.label}: frame {job.frames_done} / {session.frames_total()} · about "
            f"{left:.0f} s left")  # fmt: skip


def show_progress(session: VideoSession, finished: int) -> None:
    st.fragment(poll_progress, run_every=POLL_SECONDS)(session, finished)


def poll_progress(session: VideoSession, finished: int) -> None:
    pending = session.pending()
    if not pending or session.finished != finished:
        st.rerun(scope="app")
    job, total = pending[0], max(1, session.frames_total())
    text = f"{job_text(session, job)} · {len(pending)} model(s) left"
    st.progress(min(1.0, job.frames_done / total), text=text)


def players(session: VideoSession, results: list[ClipResult], view: str, columns: int) -> None:
    """Every result's clip in ``view``, side by side, played in sync."""
    if any(not result.files[view].exists() for result in results):
        with st.spinner(f"Making the {view.lower()} clips from the exact mattes..."):
            for result in results:
                session.view_file(result, view)
    st.html(SYNC_SCRIPT, unsafe_allow_javascript=True)
    for start in range(0, len(results), columns):
        row = results[start : start + columns]
        for column, result in zip(st.columns(columns), row, strict=False):
            with column:
                st.markdown(f"**{as_text(result.label)}**")
                # One sound only: several copies of it a few ms apart would echo.
                st.video(str(result.files[view]), muted=start + row.index(result) > 0)
                st.caption(f"{result.fps:.0f} frames/s end to end · model {result.model_fps:.0f}"
                           f" frames/s on {result.device.upper()}")  # fmt: skip


def seek_buttons(times: list[tuple[int, float]]) -> str:
    """HTML buttons that show frame ``index`` at ``time_s`` in every player."""
    buttons = [
        f'<button data-seek="{json.dumps(round(t, 3))}" class="seek">frame {i} · {t:.2f} s</button>'
        for i, t in times
    ]
    return SEEK_STYLE + "".join(buttons)


TRUTH_TYPES = ["png", "mp4", "mov", "mkv", "webm", "avi"]


def show_truth_intake(session: VideoSession) -> None:
    """True mattes to score against: a matte video, or one PNG per frame (in name order)."""
    given = session.truth is not None
    with st.expander("Ground truth" + (" · given" if given else " (optional)"), expanded=False):
        files = st.file_uploader(
            "True mattes: a matte video, or one PNG per frame (white is subject)",
            type=TRUTH_TYPES, accept_multiple_files=True, key="video:truth",
        )  # fmt: skip
        if files:
            problem = take_truth(session, files)
            if problem:
                st.error(problem)
        if session.truth is not None:
            st.caption("Every result is scored against these mattes (MAD, MSE, dtSSD).")


def take_truth(session: VideoSession, files) -> str | None:
    ids = (session.clip_id, *sorted(f.file_id for f in files))  # a new clip takes them anew
    if st.session_state.get("video:truth_ids") == ids:
        return st.session_state.get("video:truth_problem")
    st.session_state["video:truth_ids"] = ids
    problem = None
    videos = [f for f in files if not f.name.lower().endswith(".png")]
    folder = session.folder / "truth" / str(abs(hash(ids)))
    folder.mkdir(parents=True, exist_ok=True)
    if videos and len(files) > 1:
        problem = "Give either one matte video or PNGs, not both."
    elif videos:
        path = folder / ("truth" + Path(videos[0].name).suffix.lower())
        path.write_bytes(videos[0].getvalue())
        try:
            probe(path, videos[0].name)
            with st.spinner("Scoring the results against the true mattes..."):
                session.set_truth(Truth(video=path))
        except ClipError as error:
            problem = f"{error.name}: {error.problem}"
    else:
        paths = []
        for file in sorted(files, key=lambda f: f.name):
            path = folder / f"{len(paths):06d}.png"
            path.write_bytes(file.getvalue())
            if cv2.imread(str(path), cv2.IMREAD_GRAYSCALE) is None:
                problem = f"{as_text(file.name)}: is not a PNG that can be read. Export it again."
                break
            paths.append(path)
        else:
            with st.spinner("Scoring the results against the true mattes..."):
                session.set_truth(Truth(images=paths))
    st.session_state["video:truth_problem"] = problem
    return problem


FLICKER_HELP = (
    "Flicker ‰: how much alpha changes, per mille, from one frame to the next where the "
    "picture did not change (no ground truth needed; lower is steadier). Jumps %: the share "
    "of frames whose change a viewer sees. MAD, MSE (×1e3) and dtSSD (×1e2, the error's "
    "change over time) against the true mattes, as Robust Video Matting's evaluation "
    "defines them; lower is better."
)


def show_scores(results: list[ClipResult]) -> None:
    """The results' scores, flicker over time, and their worst frames a click away."""
    import pandas as pd

    st.subheader("Scores", help=FLICKER_HELP)
    table = pd.DataFrame([r.scores() for r in results]).set_index("Result")
    fine = [column for column in table.columns if column in SCORES_2DP]
    style = table.style.format(precision=1, subset=["Frames/s", "Model frames/s", "Jumps %"])
    st.table(style.format(precision=2, subset=fine))
    curves = pd.DataFrame(
        {r.label: pd.Series(r.flicker.values * 1e3, index=r.times) for r in results}
    )
    curves.index.name = "seconds"
    st.line_chart(curves, y_label="flicker ‰", x_label="seconds", height=220)
    scored = [r for r in results if r.truth is not None and r.truth.frames]
    if scored:
        errors = pd.DataFrame(
            {r.label: pd.Series(r.truth.mad_values, index=r.times[: r.truth.frames])
             for r in scored}
        )  # fmt: skip
        errors.index.name = "seconds"
        st.line_chart(errors, y_label="MAD ×1e3", x_label="seconds",
                      height=220)  # fmt: skip
    st.caption("Worst frames (click one: every player shows it)")
    for result in results:
        worst = [(i, result.times[i]) for i in result.flicker.worst(WORST_SHOWN)]
        if worst:
            st.html(f"<b>{html.escape(result.label)}</b>: " + seek_buttons(worst))
