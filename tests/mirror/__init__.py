"""An offline model of sputnikglobe.com, served over HTTP: ``python -m tests.mirror --help``."""
