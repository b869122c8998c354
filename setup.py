"""For ``scrapyd-deploy``, which builds the egg with ``python setup.py bdist_egg``.

Everything is declared in ``pyproject.toml``: the package, the files it reads at run time
(``package-data``) and the ``scrapy`` entry point scrapyd reads the settings module from.
"""

from setuptools import setup

setup()
