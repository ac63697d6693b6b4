"""Portrait Blur Arena: compare segmentation models on one portrait, side by side.

`uv run streamlit run app.py`. The title goes out before anything heavy is imported
(OpenCV, numpy, the Hub client: about a second on a small machine), so a freshly started
server shows its first content at once; the rest of the page is ui/page.py.
"""

from __future__ import annotations

import streamlit as st

TITLE = "Portrait Blur Arena"
# Less room above the results: Streamlit's top padding and title are made for articles.
PAGE_STYLE = """<style>
  .block-container { padding-top: 3.5rem; padding-bottom: 2rem; }
  h1 { font-size: 2rem !important; padding: 0 0 0.25rem 0 !important; }
</style>"""


def main() -> None:
    st.set_page_config(page_title=TITLE, layout="wide")
    st.html(PAGE_STYLE)
    st.title(TITLE)
    from ui.page import page

    page()


if __name__ == "__main__":
    main()
