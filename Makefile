# The two commands of the README. Each sets up what it needs first (Debian packages, .venv, extras).
.PHONY: demo test test-slow bench clean

OUT ?= demo_twin
PYTEST_ARGS ?=

demo:
	@scripts/setup.sh usd,report,sysid,scan
	OMP_WAIT_POLICY=PASSIVE .venv/bin/twin demo --out $(OUT)

# The default run: everything but the slow and real-data cases (a few minutes on 2 cores).
test:
	@scripts/setup.sh dev
	OMP_WAIT_POLICY=PASSIVE .venv/bin/python -m pytest -m "not slow and not realdata" $(PYTEST_ARGS)

# The slow and real-data cases (../shared/data beside the checkout; skipped when absent). CI runs both.
test-slow:
	@scripts/setup.sh dev
	OMP_WAIT_POLICY=PASSIVE .venv/bin/python -m pytest -m "slow or realdata" $(PYTEST_ARGS)

bench:
	@scripts/setup.sh dev
	.venv/bin/python -m bench

clean:
	rm -rf demo_twin .pytest_cache
