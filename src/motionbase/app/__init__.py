"""``motionbase serve``: a Gradio web app over :class:`~motionbase.generation.MotionGenerator`.

* :mod:`.handlers`: what a click does (generate, save, render, report), plain Python, no Gradio;
* :mod:`.ui`: the page (:func:`build_app`): text -> motion, and a part-level edit with 2D codes;
* :mod:`.server`: :func:`serve`: checks the port and the optional ``gradio`` install (:mod:`.gradio_import`
  imports it with analytics off) and launches offline (system fonts, no share link, no server-side rendering).

Gradio is an optional extra (``pip install 'motionbase[app]'``); importing this package does not need it.
"""

from .gradio_import import require_gradio
from .handlers import AppHandlers, AppResult
from .server import Served, check_port, serve
from .ui import build_app

__all__ = ["AppHandlers", "AppResult", "Served", "build_app", "check_port", "require_gradio", "serve"]
