"""Read lifecycle specs from JSON, YAML or TOML into a checked `Lifecycle`.

Every way a file can be wrong ends in one `SpecError` line that names the file, the step
and the field and says what would be valid; nothing else escapes from here.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from .errors import SpecError
from .lifecycle import Lifecycle
from .spec import MAX_QUANTITY, MAX_STEPS, Boost, Developer, Hardware, LifecycleSpec, Reach, Site, StepSpec

MAX_BYTES = 5 * 1024 * 1024
MAX_VALUES = 100_000
"""Most values (after YAML aliases are expanded) a spec may hold: 500 full steps fit."""
MAX_NESTING = 16
"""Deepest nesting of mappings and lists; a spec needs 5."""
MAX_DIGITS = 300
"""An integer written with more digits than this is read as infinite (and refused on its
field), rather than spending time converting it."""
_PLAIN = (str, int, float, bool, type(None), dt.date, dt.datetime, dt.time)
SUFFIXES = {".json": "JSON", ".yaml": "YAML", ".yml": "YAML", ".toml": "TOML"}


def load_lifecycle(path: str | Path) -> Lifecycle:
    """Read, validate and build the lifecycle in `path`."""
    path = Path(path)
    return parse_lifecycle(read_spec_file(path), source=str(path))


def parse_lifecycle(data: Any, source: str = "<spec>") -> Lifecycle:
    """Validate an already-parsed spec (a dict) and build its lifecycle."""
    if not isinstance(data, dict):
        raise SpecError(f"the file holds {_describe(data)}; a lifecycle spec is a mapping with name, released, deploy and steps",
                        source=source)
    try:
        spec = LifecycleSpec.model_validate(data)
    except ValidationError as error:
        raise _spec_error(error, data, source) from None
    return Lifecycle.from_spec(spec, source=source)


def read_spec_file(path: Path) -> Any:
    """The parsed content of a spec file, or a SpecError saying why it cannot be read."""
    source = str(path)
    if not path.exists():
        raise SpecError("no such file", source=source)
    if path.is_dir():
        raise SpecError("is a directory; give a .json, .yaml, .yml or .toml spec file", source=source)
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise SpecError(f"unknown file type '{path.suffix}'; use .json, .yaml, .yml or .toml", source=source)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise SpecError(f"file is {size / 1e6:.1f} MB; a lifecycle spec is at most {MAX_BYTES // (1024 * 1024)} MB",
                            source=source)
        raw = path.read_bytes()
    except OSError as error:
        raise SpecError(f"cannot read the file ({error.strerror or error})", source=source) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SpecError(f"not UTF-8 text (bad byte at offset {error.start}); save the file as UTF-8", source=source) from None
    if not text.strip():
        raise SpecError("the file is empty; a spec needs name, released, deploy and steps", source=source)
    data = _parse_text(text, fmt, source)
    _check_shape(data, source)
    return data


def _check_shape(data: Any, source: str) -> None:
    """Refuse, before validation looks at it, a structure that is too big or too deep to
    be a spec: YAML aliases can expand 500 bytes into billions of values."""
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    seen = 0
    while stack:
        value, where, depth = stack.pop()
        seen += 1
        if seen > MAX_VALUES:
            raise SpecError(f"the spec holds more than {MAX_VALUES} values (YAML aliases expanding?); "
                            f"a lifecycle spec is at most {MAX_STEPS} steps", source=source, field=where)
        if depth > MAX_NESTING:
            raise SpecError(f"nested more than {MAX_NESTING} levels deep; a lifecycle spec needs a few",
                            source=source, field=where)
        named = depth < 4  # deeper than a step's field, the path says nothing more to a drafter
        if isinstance(value, dict):
            stack.extend((v, (f"{where}.{k}" if where else str(k)) if named else where, depth + 1)
                         for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, f"{where}[{i}]" if named else where, depth + 1) for i, v in enumerate(value))
        elif not isinstance(value, _PLAIN):
            raise SpecError(f"holds {_describe(value)}, which no spec field takes", source=source, field=where)


def _parse_text(text: str, fmt: str, source: str) -> Any:
    try:
        if fmt == "JSON":
            return json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_int=_integer)
        if fmt == "TOML":
            return tomllib.loads(text)
        import yaml

        return yaml.load(text, Loader=_yaml_loader())  # noqa: S506 - a SafeLoader subclass
    except _DuplicateKey as error:
        raise SpecError(f"the key '{error.key}' appears twice in one mapping; keep one", source=source,
                        field=error.key) from None
    except json.JSONDecodeError as error:
        raise SpecError(f"broken JSON at line {error.lineno}, column {error.colno}: {error.msg}", source=source) from None
    except tomllib.TOMLDecodeError as error:
        raise SpecError(f"broken TOML: {error}", source=source) from None
    except ValueError as error:
        if "digits" in str(error):  # Python's guard against converting huge integers
            raise SpecError(f"a number in the file has more than {MAX_DIGITS} digits; "
                            f"quantities are at most {MAX_QUANTITY:.0e}", source=source) from None
        return _yaml_error(error, fmt, source)
    except RecursionError:
        raise SpecError(f"{fmt} nested too deeply to be a lifecycle spec", source=source) from None
    except Exception as error:  # yaml.YAMLError and constructor errors
        return _yaml_error(error, fmt, source)


def _yaml_error(error: Exception, fmt: str, source: str) -> Any:
    mark = getattr(error, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    problem = getattr(error, "problem", None) or (str(error).splitlines() or [type(error).__name__])[0]
    raise SpecError(f"broken {fmt}{where}: {problem}", source=source) from None


def _integer(text: str) -> int | float:
    """An integer as written; too many digits to be a quantity reads as infinity, which
    validation then refuses on its field."""
    digits = len(text.lstrip("+-"))
    return int(text) if digits <= MAX_DIGITS else float("-inf" if text.startswith("-") else "inf")


class _DuplicateKey(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict:
    """A repeated key would silently keep its last value (a 1e27 run read as 1e20)."""
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(str(key)[:60])
        out[key] = value
    return out


_YAML_LOADER = None


def _yaml_loader():
    """A SafeLoader that also reads `1e25` as a number (YAML 1.1 wants `1.0e+25`), since
    drafters write compute that way; keeps dates as text, so an impossible date is
    reported on its field like in JSON; and refuses a key repeated in one mapping."""
    global _YAML_LOADER
    if _YAML_LOADER is None:
        import yaml

        class Loader(yaml.SafeLoader):
            pass

        Loader.yaml_implicit_resolvers = {
            first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
            for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
        pattern = re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)$")
        Loader.add_implicit_resolver("tag:yaml.org,2002:float", pattern, list("-+0123456789"))

        def mapping(loader, node, deep=False):
            loader.flatten_mapping(node)
            pairs = [(loader.construct_object(k, deep=deep), loader.construct_object(v, deep=deep)) for k, v in node.value]
            keys = [k for k, _ in pairs]
            for key in keys:
                if isinstance(key, (list, dict)):
                    raise yaml.constructor.ConstructorError(None, None, "a mapping key must be a plain value", node.start_mark)
            return _no_duplicate_keys(pairs)

        Loader.add_constructor("tag:yaml.org,2002:map", mapping)

        def integer(loader, node):
            text = loader.construct_scalar(node).replace("_", "")
            if len(text.lstrip("+-")) > MAX_DIGITS and text.lstrip("+-").isdigit():
                return _integer(text)
            return yaml.SafeLoader.construct_yaml_int(loader, node)

        Loader.add_constructor("tag:yaml.org,2002:int", integer)

        def unsupported(loader, node):
            # a set's order follows PYTHONHASHSEED; binary and ordered pairs have no spec field
            raise yaml.constructor.ConstructorError(None, None, f"the tag {node.tag.replace('tag:yaml.org,2002:', '!!')} "
                                                    "is not supported in a lifecycle spec", node.start_mark)

        for tag in ("set", "omap", "pairs", "binary", "timestamp"):
            Loader.add_constructor(f"tag:yaml.org,2002:{tag}", unsupported)
        _YAML_LOADER = Loader
    return _YAML_LOADER


# -- turning pydantic's report into one line ------------------------------------------

_MODELS_BY_FIELD: dict[str, type[BaseModel]] = {"hardware": Hardware, "boost": Boost, "sites": Site, "reach": Reach,
                                                "developers": Developer}


def _spec_error(error: ValidationError, data: dict, source: str) -> SpecError:
    details = error.errors(include_url=False)
    # An unknown key is named first: a misspelt `deplyo:` is the cause of the missing `deploy`.
    first = next((d for d in details if d["type"] == "extra_forbidden"), details[0])
    loc = list(first["loc"])
    step = ""
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
        raw_steps = data.get("steps")
        raw = raw_steps[loc[1]] if isinstance(raw_steps, list) and loc[1] < len(raw_steps) else None
        raw_id = raw.get("id") if isinstance(raw, dict) else None
        step = raw_id if isinstance(raw_id, str) and raw_id else f"#{loc[1] + 1}"
        loc = loc[2:]
    field = ".".join(str(part) if part != "" else "(empty name)" for part in loc)
    message = _message(first, loc, in_step=bool(step))
    if not field:
        field = next((name for start, name in _MODEL_FIELDS if message.startswith(start)), "")
    more = error.error_count() - 1
    if more:
        message += f" (and {more} more problem{'s' if more > 1 else ''})"
    return SpecError(message, source=source, step=step, field=field)


_MODEL_FIELDS = (("no compute given", "flop"), ("two compute forms", "flop"), ("params and tokens", "params"),
                 ("active_params", "active_params"), ("an inference_boost step", "boost"), ("boost belongs", "boost"))
"""Errors of a whole step, and the field each one is about."""


def _message(detail: dict, loc: list, in_step: bool) -> str:
    kind, value = detail["type"], detail.get("input")
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        owner = _owner(loc, in_step)
        name = str(loc[-1]) if loc else ""  # the unknown key itself
        close = difflib.get_close_matches(name, list(owner.model_fields), n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"unknown field{hint} (valid fields: {', '.join(owner.model_fields)})"
    if kind in ("float_type", "int_type", "float_parsing", "int_parsing", "int_from_float"):
        if kind == "int_from_float" or isinstance(value, float):
            return f"expected a whole number, got {_short(value)}"
        if isinstance(value, int) and not isinstance(value, bool):
            return f"the number {_short(value)} is too large"
        return f"expected a number, got {_describe(value)} {_short(value)}"
    if kind == "finite_number":
        return f"must be a finite number (at most {MAX_QUANTITY:.0e}), got {_short(value)}"
    if kind in ("date_from_datetime_parsing", "date_parsing", "date_type", "date_from_datetime_inexact"):
        return f"not a valid date ({_short(value)}); write an existing date as YYYY-MM-DD"
    if kind == "too_short" and loc == ["steps"]:
        return "a lifecycle needs at least one step"
    if kind == "too_long":
        return f"at most {detail['ctx']['max_length']} entries (got {detail['ctx'].get('actual_length', 'more')})"
    if kind == "literal_error":
        return f"{_short(value)} is not valid; {detail['msg'][0].lower()}{detail['msg'][1:]}"
    message = detail["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            return message[len(prefix):]
    return f"{message} (got {_short(value)})" if value is not None and not isinstance(value, (dict, list)) else message


def _short(value: Any, limit: int = 60) -> str:
    """A value as it appears in a message: repr, cut to `limit` characters (a container is
    described, never printed whole: it may be an alias bomb)."""
    if isinstance(value, (dict, list, tuple, set)):
        return f"{_describe(value)} of {len(value)}"
    if isinstance(value, str) and len(value) > limit:
        value = value[:limit]
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 5] + "...'" if text[0] in "'\"" else text[: limit - 3] + "..."


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "a true/false value"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


def _owner(loc: list, in_step: bool) -> type[BaseModel]:
    names = [part for part in loc[:-1] if isinstance(part, str)]
    if names and names[-1] in _MODELS_BY_FIELD:
        return _MODELS_BY_FIELD[names[-1]]
    return StepSpec if in_step else LifecycleSpec
