.PHONY: bootstrap run test lint translations

bootstrap:
	bash scripts/bootstrap.sh

# The whole system, supervised by scripts/dev_stack.py until Ctrl-C; it prints the landing
# page. Ports come from the environment (README, Run): IDP_PORT=5200 make run
run: bootstrap
	bash scripts/run-all.sh

# Extra pytest arguments: make test ARGS="-k otp"
test: bootstrap
	bash scripts/test.sh $(ARGS)

lint:
	.venv/bin/ruff check .

# Re-extract the page strings, merge them into each catalog, compile the .mo files.
translations:
	.venv/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext --project=Bawaba --version=0.1 --copyright-holder="Bawaba contributors" --no-wrap --sort-by-file -o idp/translations/messages.pot .
	.venv/bin/pybabel update -i idp/translations/messages.pot -d idp/translations --no-wrap
	.venv/bin/pybabel compile -d idp/translations --statistics
