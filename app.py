"""Portrait Blur Arena: compare segmentation models on your portraits, side by side.

`uv run streamlit run app.py`. This file declares the pages and what every page shares:
the page's settings and style, and the title, drawn before anything heavy is imported
(OpenCV, numpy, the Hub client: about a second on a small machine), so a freshly started
server shows its first content at once. Each page is a file in ui/pages/.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

TITLE = "Portrait Blur Arena"
# The tab's icon, drawn from the emoji in the browser: left to the pages' Material icons,
# Streamlit fetches it from fonts.gstatic.com (an error in the console when offline).
ICON = "\N{CAMERA}"
PAGES = Path(__file__).resolve().parent / "ui" / "pages"
# Less room above the results: Streamlit's top padding and title are made for articles.
PAGE_STYLE = """<style>
  .block-container { padding-top: 3.5rem; padding-bottom: 2rem; }
  h1 { font-size: 2rem !important; padding: 0 0 0.25rem 0 !important; }
  /* Zoom tiles framed (outside their pixels): a tile inside a white matte is not blank. */
  [data-testid="stExpander"] [data-testid="stImage"] img { outline: 1px solid #8888; }
  /* A phone: the view buttons fit the screen's width (else the last is cut off). */
  @media (max-width: 640px) {
    [data-testid="stButtonGroup"] [role="radiogroup"] { flex-wrap: wrap; }
    [data-testid="stButtonGroup"] button { padding-left: 0.55rem; padding-right: 0.55rem; }
  }
</style>"""


# (file in ui/pages, title, icon); the first is the app's root URL.
PAGE_FILES = (
    ("compare.py", "Compare", ":material/compare:"),
    ("video.py", "Video", ":material/movie:"),
    ("arena.py", "Arena", ":material/how_to_vote:"),
)


def pages() -> list[st.Page]:
    return [
        st.Page(PAGES / file, title=title, icon=icon, default=index == 0)
        for index, (file, title, icon) in enumerate(PAGE_FILES)
    ]


def main() -> None:
    st.set_page_config(page_title=TITLE, page_icon=ICON, layout="wide")
    navigation = st.navigation(pages(), position="top")
    st.html(PAGE_STYLE)
    st.title(TITLE)
    navigation.run()


if __name__ == "__main__":
    main()
