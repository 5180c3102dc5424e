"""Synthesise the default sound corpus: smoke alarms and the sounds mistaken for them.

Real recordings cannot ship with the project, so ``sounddetect synth DIR`` renders a varied,
deterministic stand-in: alarms as real detectors make them (piezo horns, 520 Hz square-wave
sounders, loudspeakers with voice messages) heard in rooms through microphones, and
backgrounds chosen to be hard (a low-battery chirp, appliance beeps, reversing beepers, phone
rings, speech, music, ...). Every function is pure: the same arguments and ``seed`` give the
same samples, and the same corpus seed gives byte-identical files.

This package is generator-side (numpy + scipy); the inference path never imports it. One
module per concept, each name importable from ``sounddetect.synth``:

tones        filters, noises, partials, fades: the signal helpers of the others
temporal     when a sound sounds: temporal patterns and beep trains
voices       formant babble (speaker alarms' messages, conversations)
alarms       what an alarm sounder emits
rooms        rooms, partitions and microphones, and recording a dry sound through them
backgrounds  the background scenes, the sounds mistaken for alarms among them
corpus       which files the corpus holds, drawn, rendered and written

Temporal patterns
    beep_pattern, t3_pattern, t4_pattern, pattern_envelope, is_alarm_like
Sources
    harmonic_tone, babble, AlarmSpec, alarm_intervals, render_alarm
Rooms and microphones
    Room, ROOMS, MICROPHONES, Partition, PARTITION_KINDS, Recording, room_impulse_response,
    apply_room, transmit, heard_through, apply_microphone, record
Backgrounds
    render_background, BACKGROUND_KINDS, TRAINING_BACKGROUND_KINDS, HOLDOUT_BACKGROUND_KINDS,
    draw_beep_sequence, BEEP_STYLES
Corpus
    CorpusFile, plan_corpus, render_corpus_file, make_corpus
"""

from sounddetect.synth.alarms import (
    PATTERN_BEEPS,
    SAMPLE_DURATION,
    AlarmSpec,
    alarm_intervals,
    render_alarm,
)
from sounddetect.synth.backgrounds import (
    BACKGROUND_KINDS,
    BEEP_STYLES,
    HOLDOUT_BACKGROUND_KINDS,
    TRAINING_BACKGROUND_KINDS,
    BackgroundKind,
    draw_beep_sequence,
    render_background,
)
from sounddetect.synth.corpus import (
    ALARM_COUNTS,
    ALARM_F0_HZ,
    ALARM_FORMATS,
    BACKGROUND_COUNTS,
    BACKGROUND_FORMATS,
    BACKGROUND_S,
    BEEPS_S,
    CORPUS_SECTIONS,
    HOLDOUT_ALARM_COUNTS,
    HOLDOUT_BACKGROUND_COUNTS,
    HOLDOUT_INTERCONNECTED_SHARE,
    LONG_ALARM_S,
    LONG_ALARM_SHARE,
    LOWBATTERY_S,
    MANIFEST_NAME,
    T3_TIMING_S,
    T4_TIMING_S,
    TRUTH_PATH,
    CorpusFile,
    draw_alarm,
    draw_recording,
    make_corpus,
    plan_corpus,
    preroll_samples,
    read_corpus_manifest,
    read_own_manifest,
    render_corpus_file,
    write_wav,
)
from sounddetect.synth.rooms import (
    HOLDOUT_MICROPHONES,
    HOLDOUT_ROOMS,
    MICROPHONES,
    PARTITION_KINDS,
    ROOMS,
    TRAINING_MICROPHONES,
    TRAINING_ROOMS,
    Partition,
    Recording,
    Room,
    apply_microphone,
    apply_room,
    heard_through,
    record,
    room_impulse_response,
    transmit,
)
from sounddetect.synth.temporal import (
    T3_ON_S,
    T3_PAUSE_S,
    T4_OFF_MAX_S,
    T4_ON_S,
    T4_PAUSE_S,
    beep_pattern,
    is_alarm_like,
    pattern_envelope,
    t3_pattern,
    t4_pattern,
)
from sounddetect.synth.tones import harmonic_tone
from sounddetect.synth.voices import VOWEL_FORMANTS_HZ, babble

__all__ = [
    "harmonic_tone",
    "beep_pattern",
    "t3_pattern",
    "t4_pattern",
    "pattern_envelope",
    "T3_ON_S",
    "T3_PAUSE_S",
    "T4_ON_S",
    "T4_OFF_MAX_S",
    "T4_PAUSE_S",
    "is_alarm_like",
    "VOWEL_FORMANTS_HZ",
    "babble",
    "SAMPLE_DURATION",
    "PATTERN_BEEPS",
    "AlarmSpec",
    "alarm_intervals",
    "render_alarm",
    "Room",
    "ROOMS",
    "TRAINING_ROOMS",
    "HOLDOUT_ROOMS",
    "MICROPHONES",
    "TRAINING_MICROPHONES",
    "HOLDOUT_MICROPHONES",
    "PARTITION_KINDS",
    "Partition",
    "Recording",
    "room_impulse_response",
    "apply_room",
    "transmit",
    "heard_through",
    "apply_microphone",
    "record",
    "BEEP_STYLES",
    "draw_beep_sequence",
    "BackgroundKind",
    "BACKGROUND_KINDS",
    "HOLDOUT_BACKGROUND_KINDS",
    "TRAINING_BACKGROUND_KINDS",
    "render_background",
    "T3_TIMING_S",
    "T4_TIMING_S",
    "ALARM_F0_HZ",
    "HOLDOUT_INTERCONNECTED_SHARE",
    "ALARM_COUNTS",
    "HOLDOUT_ALARM_COUNTS",
    "BACKGROUND_COUNTS",
    "HOLDOUT_BACKGROUND_COUNTS",
    "ALARM_FORMATS",
    "BACKGROUND_FORMATS",
    "LONG_ALARM_SHARE",
    "LONG_ALARM_S",
    "BACKGROUND_S",
    "LOWBATTERY_S",
    "BEEPS_S",
    "CorpusFile",
    "draw_alarm",
    "draw_recording",
    "plan_corpus",
    "preroll_samples",
    "render_corpus_file",
    "write_wav",
    "MANIFEST_NAME",
    "TRUTH_PATH",
    "CORPUS_SECTIONS",
    "make_corpus",
    "read_corpus_manifest",
    "read_own_manifest",
]
