# audio-edition: `make run` and `make test` are the only set-up commands anyone needs.
# Each installs what is missing (Debian packages, a virtual environment, the package)
# and is quick and quiet when everything is already in place.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEBS   := espeak-ng ffmpeg
# The commands each Debian package provides; a package is installed when one is missing.
TOOLS  := espeak-ng ffmpeg ffprobe
# The tests also drive a headless browser on the episode page.
TEST_DEBS  := chromium chromium-driver
TEST_TOOLS := chromium chromedriver

.PHONY: help run test bench lint system test-system clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14

run: system $(STAMP)  ## build every issue in issues/ and write output/feed.xml
	@$(BIN)/audio-edition build

test: system test-system $(STAMP)  ## run the test suite (real engine, real MP3, real feed parsers)
	@$(BIN)/python -m pytest -q

bench: system $(STAMP)  ## measure speed and memory against baselines (writes output/bench.json)
	@$(BIN)/python -m audio.bench

lint: $(STAMP)  ## ruff check and format check
	@$(BIN)/ruff check audio tests
	@$(BIN)/ruff format --check audio tests

system:  ## install the Debian packages espeak-ng and ffmpeg when missing
	@$(call debs,$(TOOLS),$(DEBS))

test-system:  ## install the Debian packages chromium and chromium-driver (for the tests) when missing
	@$(call debs,$(TEST_TOOLS),$(TEST_DEBS))

# $(call debs,COMMANDS,PACKAGES): apt-get install PACKAGES when one of COMMANDS is missing
# (as root), or say what to install and fail.
define debs
missing=""; for t in $(1); do command -v $$t >/dev/null 2>&1 || missing=1; done; \
if [ -n "$$missing" ]; then \
  if [ "$$(id -u)" = 0 ]; then \
    echo "Installing Debian packages: $(2)"; \
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(2) >/dev/null \
      || { echo "error: apt-get could not install $(2)" >&2; exit 1; }; \
  else \
    echo "error: $(2) are needed; install them with: sudo apt-get install $(2)" >&2; \
    exit 1; \
  fi; \
fi
endef

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing audio-edition and its dependencies into $(VENV)"
	@$(BIN)/python -m pip install --disable-pip-version-check -e '.[test]' >$(VENV)/pip.log 2>&1 \
	  || { cat $(VENV)/pip.log >&2; echo "error: pip install failed (log above, also in $(VENV)/pip.log)" >&2; exit 1; }
	@touch $@

clean:  ## remove the virtual environment and generated output
	rm -rf $(VENV) output .pytest_cache
