"""Optional pandas support for ``to_dataframe()``."""

from __future__ import annotations

from typing import Any

from mltrail.core.errors import ConfigError


def require_pandas() -> Any:
    """Return the pandas module, or raise a clear error saying how to install it."""
    try:
        import pandas
    except ImportError as exc:
        raise ConfigError(
            "to_dataframe() needs pandas: pip install 'mltrail[pandas]'", key="pandas", value=None
        ) from exc
    return pandas
