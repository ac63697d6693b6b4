"""Photos in and out: decoding an upload into an upright sRGB photo (``photo.decode``), the
files a result is exported as (``photo.exports``), and the sample portraits the app ships
(``photo.samples``)."""
