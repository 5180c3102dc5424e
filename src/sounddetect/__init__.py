"""sounddetect: find smoke alarms and other audio events in recordings.

Audio is cut into fixed windows, each window is rendered as a spectrogram image
(:mod:`sounddetect.spectrum`), and an image classifier (Rekognition Custom Labels or a
local ONNX model, :mod:`sounddetect.classifiers`) labels each window; window labels are
merged into events (:mod:`sounddetect.events`).
"""

__version__ = "0.1.0"
