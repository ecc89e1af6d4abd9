"""``python -m mltrail``: the ``mltrail`` command."""

from mltrail.cli import mltrail

mltrail()
