"""Read pickles that may only hold plain data: containers, numbers, strings and numpy arrays.

The established HumanML3D evaluator ships its GloVe vocabulary as pickles (``our_vab_words.pkl``: a list of
words, ``our_vab_idx.pkl``: a dict word -> row). ``pickle.load`` on a file from the internet runs whatever
callables the file names; :func:`load_plain_pickle` refuses every global except the few that rebuild plain
containers and numpy arrays, so a malicious file fails with :class:`~motionbase.errors.FormatError`
instead of executing code.
"""

from __future__ import annotations

import io
import os
import pickle
from typing import Any

from ..errors import FormatError

# (module, name) pairs a plain-data pickle may reference. Python's builtin containers need no global
# (they have their own opcodes) except when pickled by older protocols or as sets/frozensets.
_ALLOWED_GLOBALS: frozenset[tuple[str, str]] = frozenset(
    [
        ("builtins", "set"), ("builtins", "frozenset"), ("builtins", "list"), ("builtins", "dict"),
        ("builtins", "tuple"), ("builtins", "bytearray"), ("builtins", "complex"),
        ("__builtin__", "set"), ("__builtin__", "frozenset"),
        ("collections", "OrderedDict"),
        ("_codecs", "encode"),  # bytes written by protocol <= 2 (numpy arrays pickled for Python 2)
        # numpy arrays and scalars (numpy 1.x and 2.x module paths)
        ("numpy", "ndarray"), ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "scalar"),
        ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),  # protocol 5
    ]
)


class _PlainUnpickler(pickle.Unpickler):
    def __init__(self, file, path: str):
        super().__init__(file, encoding="latin1")  # latin1: numpy arrays pickled by Python 2
        self._path = path

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED_GLOBALS:
            raise FormatError(self._path, f"pickle references {module}.{name}; only plain containers, "
                                          "numbers, strings and numpy arrays are allowed")
        return super().find_class(module, name)


def loads_plain_pickle(data: bytes, where: str = "<bytes>") -> Any:
    """Unpickle ``data`` admitting only plain containers and numpy arrays; ``where`` names it in errors."""
    try:
        return _PlainUnpickler(io.BytesIO(data), where).load()
    except FormatError:
        raise
    except Exception as exc:  # truncated or corrupt stream: one line, no traceback from pickle's internals
        raise FormatError(where, f"not a readable pickle ({type(exc).__name__}: {exc})") from None


def load_plain_pickle(path: str | os.PathLike) -> Any:
    """Read a pickle file that may hold only plain data (see module docstring)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise FormatError(path, f"cannot read pickle: {exc.strerror}") from None
    return loads_plain_pickle(data, str(path))
