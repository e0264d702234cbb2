# lmc-pipeline. `make quick` and `make test` are the README's two Quickstart commands.
VENV ?= .venv
SNAKEMAKE = $(VENV)/bin/snakemake
STAMP = $(VENV)/.installed
CORES ?= 2

.PHONY: install quick all test bench clean-results

install: $(STAMP)

# Re-runs only when the pins change; tools/install.sh itself is idempotent.
$(STAMP): requirements.txt pyproject.toml tools/install.sh
	bash tools/install.sh $(VENV)
	touch $(STAMP)

# Offline, small: every artefact of config/quick.yaml on Fashion-MNIST; says how many jobs
# and about how long first, and the files to open at the end (tools/quick.py).
quick: install
	$(VENV)/bin/python tools/quick.py --cores $(CORES)

# The full paper reproduction (needs internet for the datasets and, realistically, GPUs).
all: install
	$(SNAKEMAKE) --cores $(CORES) all

test: install
	$(VENV)/bin/python -m pytest

bench: install
	$(VENV)/bin/python bench/train_speed.py
