.PHONY: bootstrap run test lint

bootstrap:
	bash scripts/bootstrap.sh

run: bootstrap
	bash scripts/run-all.sh

# Extra pytest arguments: make test ARGS="-k otp"
test: bootstrap
	bash scripts/test.sh $(ARGS)

lint:
	.venv/bin/ruff check .
