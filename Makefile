# Shortcuts for the two commands in README.md.
.PHONY: help bootstrap run test compose-config clean

help:
	@echo "make run              install what is missing, seed the demo, serve on http://127.0.0.1:8000"
	@echo "make test [ARGS=...]  install what is missing, run the test suite on PostGIS (ARGS go to pytest)"
	@echo "make bootstrap        only the installs (.venv, system packages)"
	@echo "make compose-config   validate docker-compose.yml"
	@echo "make clean            remove .venv, the demo database and collected static files"

bootstrap:
	bash scripts/bootstrap.sh

run:
	bash scripts/run.sh

test:
	bash scripts/test.sh $(ARGS)

compose-config:
	DJANGO_SECRET_KEY=check POSTGRES_PASSWORD=check docker compose config --quiet

clean:
	rm -rf .venv var staticfiles
