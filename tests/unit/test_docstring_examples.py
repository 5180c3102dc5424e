"""The examples in the library's docstrings run as they are written."""

import doctest
import importlib
import pkgutil

import pytest

import sounddetect

#: Every module of the package; ``__main__`` runs the command line when imported.
MODULES = sorted(
    name
    for _, name, _ in pkgutil.walk_packages(sounddetect.__path__, "sounddetect.")
    if not name.endswith("__main__")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_give_what_they_show(name):
    result = doctest.testmod(importlib.import_module(name), report=True)
    assert result.failed == 0
