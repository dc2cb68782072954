"""One typed, frozen base for every config: :class:`Config`.

A config is a frozen dataclass that derives from :class:`Config`. The base gives it

* ``to_dict()`` / ``from_dict(d, source=...)``: a JSON round trip, nested configs included (a field typed as
  another config, or ``Config | None``, is read from a JSON object); JSON lists become tuples where the field is a
  tuple; unknown keys are an error naming the key and the config;
* ``save(path)`` / ``load(path)``: the same, to and from a JSON file (written atomically);
* range checks declared per field with :func:`setting` (``min``, ``max``, ``above``, ``choices``, ``odd``), run on
  construction, and a ``check()`` hook for the rest;
* ``replace(**changes)``: a changed copy (configs are frozen; never assign to a field).

Every error is a :class:`ConfigError` (a :class:`~motionbase.errors.MotionbaseError`) with a one-line message that
names the config and the field. Old file layouts are read by listing keys that moved elsewhere in ``dropped``
(ignored on reading), or by overriding ``upgrade(d)``, which maps an old JSON object to the current one before
the keys are checked.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from .errors import CheckpointError
from .io import atomic_write_text

C = TypeVar("C", bound="Config")


class ConfigError(CheckpointError):
    """A config (constructor arguments, a checkpoint's ``config.json`` or a run's JSON file) is invalid."""


def setting(default: Any = MISSING, *, default_factory: Any = MISSING, min: float | None = None,
            max: float | None = None, above: float | None = None, choices: tuple | None = None, odd: bool = False,
            doc: str = "") -> Any:
    """A config field with its checks: ``min`` / ``max`` (inclusive), ``above`` (exclusive lower bound),
    ``choices``, ``odd``. ``None`` passes the checks (for optional fields)."""
    meta = {k: v for k, v in (("min", min), ("max", max), ("above", above), ("choices", choices),
                              ("odd", odd or None), ("doc", doc or None)) if v is not None}
    return field(default=default, default_factory=default_factory, metadata=meta)


@dataclass(frozen=True)
class Config:
    """Base of every config dataclass (see the module doc). Subclasses are ``@dataclass(frozen=True)``."""

    owner: ClassVar[str] = ""            # names the config in messages ("" = the class name)
    version: ClassVar[int | None] = None  # when set, files carry "config_version" and other versions are refused
    dropped: ClassVar[tuple[str, ...]] = ()  # keys of older layouts that from_dict ignores (moved elsewhere)

    def __post_init__(self) -> None:
        for f in fields(self):
            _check_field(self, f)
        self.check()

    def check(self) -> None:
        """Checks across fields; raise :meth:`error` on a bad value."""

    @classmethod
    def label(cls) -> str:
        return cls.owner or cls.__name__

    @classmethod
    def error(cls, what: str) -> ConfigError:
        return ConfigError(f"{cls.label()}: {what}")

    # -- dict / JSON -----------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        d = {f.name: _plain(getattr(self, f.name)) for f in fields(self)}
        return d if self.version is None else {"config_version": self.version, **d}

    @classmethod
    def upgrade(cls, d: dict, source: str) -> dict:
        """Map an older JSON layout to the current one (default: unchanged)."""
        return d

    @classmethod
    def from_dict(cls: type[C], d: Any, *, source: str = "<dict>") -> C:
        if not isinstance(d, dict):
            raise ConfigError(f"{source}: expected a JSON object for the {cls.label()} config, "
                              f"got {type(d).__name__}")
        d = cls.upgrade({k: v for k, v in d.items() if k not in cls.dropped}, source)
        version = d.pop("config_version", cls.version)
        if cls.version is not None and version != cls.version:
            raise ConfigError(f"{source}: config_version {version}, expected {cls.version}")
        _check_keys(cls, d, source)
        hints = typing.get_type_hints(cls)
        return _construct(cls, {k: _from_json(hints[k], v, f"{source}: {k}") for k, v in d.items()}, source)

    def replace(self: C, **changes) -> C:
        unknown = sorted(set(changes) - {f.name for f in fields(self)})
        if unknown:
            raise self.error(f"unknown key(s) {unknown}")
        return dataclasses.replace(self, **changes)

    def save(self, path: str | Path) -> None:
        atomic_write_text(Path(path), json.dumps(self.to_dict(), indent=2) + "\n")

    @classmethod
    def load(cls: type[C], path: str | Path) -> C:
        path = Path(path)
        try:
            d = json.loads(path.read_text())
        except FileNotFoundError:
            raise ConfigError(f"{path}: missing (expected a {cls.label()} config JSON file)") from None
        except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid JSON ({exc})") from None
        return cls.from_dict(d, source=str(path))


def build(cls: type[C], source: str = "<arguments>", **kwargs) -> C:
    """``cls(**kwargs)`` with a wrong key or type reported as one :class:`ConfigError` line (for keyword dicts
    that come from users: presets with overrides, CLI flags)."""
    _check_keys(cls, kwargs, source)
    return _construct(cls, kwargs, source)


def _check_keys(cls: type[Config], d: dict, source: str) -> None:
    known = sorted(f.name for f in fields(cls))  # type: ignore[arg-type]
    unknown = sorted(set(d) - set(known))
    if unknown:
        what = f"{cls.owner} config" if cls.owner else cls.__name__
        raise ConfigError(f"{source}: unknown {what} key(s) {unknown}; known: {known}")


def _construct(cls: type[C], kwargs: dict, source: str) -> C:
    try:
        return cls(**kwargs)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{source}: invalid {cls.label()} config ({exc})") from None


def _check_field(cfg: Config, f: dataclasses.Field) -> None:
    value, meta = getattr(cfg, f.name), f.metadata
    if value is None or not meta:
        return
    name = f"{f.name}={value!r}"
    try:
        if "choices" in meta and value not in meta["choices"]:
            raise cfg.error(f"{name}: expected one of {', '.join(map(str, meta['choices']))}")
        if "min" in meta and value < meta["min"]:
            raise cfg.error(f"{name}: expected at least {meta['min']}")
        if "above" in meta and not value > meta["above"]:
            raise cfg.error(f"{name}: expected more than {meta['above']}")
        if "max" in meta and value > meta["max"]:
            raise cfg.error(f"{name}: expected at most {meta['max']}")
        if meta.get("odd") and value % 2 == 0:
            raise cfg.error(f"{name}: expected an odd number")
    except TypeError:
        raise cfg.error(f"{name}: expected a number") from None


def _plain(value: Any) -> Any:
    if isinstance(value, Config):
        return value.to_dict()
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _from_json(hint: Any, value: Any, where: str) -> Any:
    if value is None:
        return None
    inner = _config_in(hint)
    if inner is not None:
        return value if isinstance(value, inner) else inner.from_dict(value, source=where)
    _check_json_type(hint, value, where)
    if isinstance(value, list) and _is_tuple(hint):
        return tuple(value)
    return value


# what a JSON value of each plain type may be (bool is an int in Python, but not a number here)
_JSON_TYPES: dict[type, tuple[str, Any]] = {
    int: ("an integer", lambda v: isinstance(v, int) and not isinstance(v, bool)),
    float: ("a number", lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)),
    str: ("a string", lambda v: isinstance(v, str)),
    bool: ("true or false", lambda v: isinstance(v, bool)),
    dict: ("a JSON object", lambda v: isinstance(v, dict)),
    tuple: ("a JSON list", lambda v: isinstance(v, (list, tuple))),
    list: ("a JSON list", lambda v: isinstance(v, (list, tuple))),
}


def _check_json_type(hint: Any, value: Any, where: str) -> None:
    """A one-line error when ``value`` is not of the field's plain type (other hints are not checked)."""
    kinds = [typing.get_origin(a) or a for a in _options(hint) if a is not type(None)]
    if not kinds or not all(k in _JSON_TYPES for k in kinds):
        return
    if not any(_JSON_TYPES[k][1](value) for k in kinds):
        expected = " or ".join(dict.fromkeys(_JSON_TYPES[k][0] for k in kinds))
        raise ConfigError(f"{where}: {value!r} is not {expected}")


def _options(hint: Any) -> tuple:
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return typing.get_args(hint)
    return (hint,)


def _config_in(hint: Any) -> type[Config] | None:
    """The config class named by a type hint (``X`` or ``X | None``), else None."""
    return next((a for a in _options(hint) if isinstance(a, type) and issubclass(a, Config)), None)


def _is_tuple(hint: Any) -> bool:
    return any(a is tuple or typing.get_origin(a) is tuple for a in _options(hint))
