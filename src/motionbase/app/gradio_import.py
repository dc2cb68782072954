"""Importing the optional ``gradio`` (the app extra): analytics off first, a one-line error when missing."""

from __future__ import annotations

import os

from ..errors import MotionbaseError

_EXTRA = "pip install 'motionbase[app]'"


def require_gradio():
    """The ``gradio`` module, imported with analytics off; a one-line error when it is not installed."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    try:
        import gradio
    except ImportError as exc:
        raise MotionbaseError(f"the web app needs gradio, which is not installed ({exc.name or exc}); "
                              f"install the app extra: {_EXTRA}") from None
    return gradio
