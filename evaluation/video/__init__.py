"""Portrait blur on video: clips in and out (PyAV), every model over a clip's frames,
temporal scores (flicker without ground truth; MAD, MSE and dtSSD with it), a temporal
steadier, and a synthetic demo clip with an exact alpha per frame."""
