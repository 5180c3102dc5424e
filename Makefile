# Two commands on a fresh machine: `make demo` (the main job end to end) and `make test`.
# Both create the virtualenv and install everything first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MODEL := models/default
DATA := training-data
HOLDOUT := training-data-holdout
# Of seeds 0, 1 and 2 of the default recipe, trained on channels-last tensors as train does
# since 2026-12-02, seed 1 makes the fewest mistakes on the validate split's source clips
# played as whole recordings, and it gets the example recordings right. The shipped model is
# seed 0 of training before that, chosen so then, which does better on whole recordings
# (docs/model-quality.md, "Which seed ships").
SEED ?= 1
PYTEST_WORKERS ?= 2
APT := $(shell [ "$$(id -u)" = 0 ] || echo sudo) env DEBIAN_FRONTEND=noninteractive apt-get

.PHONY: demo test ffmpeg lint venv build clean

venv: $(STAMP)
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## The main job: corpus (synthesised, plus recorded music and sound effects fetched from
## Debian) -> training data -> train -> evaluate -> detect on example recordings.
## The held-out set keeps 4,800 windows, as many as every trial in docs/model-trials.md saw.
demo: $(STAMP)
	$(BIN)/sounddetect synth audio --skip-existing
	$(BIN)/sounddetect recorded audio --skip-existing
	$(BIN)/sounddetect generate --target-path $(DATA) --types mel --overwrite
	$(BIN)/sounddetect generate --alarm-source audio/holdout/alarms \
	    --background-source audio/holdout/background --target-path $(HOLDOUT) \
	    --split 0 0 1 --samples-per-layer 1600 --types mel --overwrite
	$(BIN)/sounddetect train $(DATA) --type mel --seed $(SEED) --out $(MODEL) --overwrite
	$(BIN)/sounddetect evaluate $(MODEL) $(DATA) --out $(MODEL)/evaluation
	$(BIN)/sounddetect evaluate $(MODEL) $(HOLDOUT) --out $(MODEL)/holdout
	$(BIN)/sounddetect detect audio/examples --model $(MODEL) --plot $(MODEL)/plots

test: $(STAMP) ffmpeg
	$(BIN)/ruff check src tests util inference benchmarks
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) -q

## The tests encode and decode M4A, WebM and WMA with Debian's ffmpeg (detect decodes what
## libsndfile cannot through it); installed here when it is missing.
ffmpeg:
	@command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || { \
	    echo "installing Debian's ffmpeg"; \
	    $(APT) install -y -qq ffmpeg >/dev/null || \
	    { $(APT) update -qq && $(APT) install -y -qq ffmpeg >/dev/null; }; }

lint: $(STAMP)
	$(BIN)/ruff check src tests util inference benchmarks
	$(BIN)/ruff format --check src tests util inference benchmarks

## The SAM artifact (no Docker: BuildMethod makefile in inference/).
build: $(STAMP)
	$(BIN)/sam validate --lint
	$(BIN)/sam build

clean:
	rm -rf .aws-sam $(DATA) $(HOLDOUT) build
