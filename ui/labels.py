"""The words of the page's main buttons: one place for the page, its help texts and tests."""

RUN_LABEL = "Run Segmentation and Blurring"
CANCEL_LABEL = "Cancel queued runs"
SAMPLE_LABEL = "Try a sample portrait"
