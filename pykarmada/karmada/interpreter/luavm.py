"""A sandboxed Lua 5.1 VM for the scripts of ResourceInterpreterCustomizations.

Upstream runs these scripts in gopher-lua (Lua 5.1), so we run them in lupa's Lua 5.1. The sandbox
matches upstream's: only the base, table, string and math libraries, ``os.time``/``os.date``, and
``require`` of the preloaded ``kube`` library; the functions that reach outside (``load``,
``setfenv``, ``rawset``, ...) raise. Each call gets one CPU-second and the VM 64 MiB.

Values cross as JSON would: objects and arrays become tables. An empty table cannot say whether it
was ``{}`` or ``[]``, so, as upstream does, the result is compared with the call's inputs (the
*references*): an empty table where a reference had an empty object becomes ``{}``, where it had
an empty array stays ``[]``, and anywhere else the field is dropped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import lupa.lua51 as lua51

__all__ = ["LuaScriptError", "LuaVM", "SCRIPT_TIMEOUT_SECONDS"]

SCRIPT_TIMEOUT_SECONDS = 1.0
_MAX_MEMORY = 64 << 20
_HOOK_INSTRUCTIONS = 1000
_DISABLED = (
    "collectgarbage", "dofile", "getfenv", "getmetatable", "load", "loadfile", "loadstring",
    "rawequal", "rawget", "rawset", "setfenv", "setmetatable", "module", "newproxy",
)  # fmt: skip

# Runs once per VM with the real libraries still in reach, keeps what the sandbox needs in locals
# and returns the two entry points: compile a script into its own environment, and arm the clock.
_SETUP = """
local kube_functions, disabled = ...
local sethook, clock, setfenv, setmetatable, loadstring = debug.sethook, os.clock, setfenv, setmetatable, loadstring
local error, pairs = error, pairs
local deadline = math.huge
sethook(function()
  if clock() > deadline then error("script exceeded its time limit", 0) end
end, "", %d)
python, io, debug, coroutine, gcinfo = nil, nil, nil, nil, nil
os = {time = os.time, date = os.date}
for _, name in pairs(disabled) do
  _G[name] = function() error("call function " .. name .. " is not supported in karmada customized resourceinterpreter.", 2) end
end
local preload_loader = package.loaders[1]
package.path, package.cpath = "", ""
package.loaders = {preload_loader}
for name in pairs(package.loaded) do
  if name ~= "_G" and name ~= "string" and name ~= "table" and name ~= "math" and name ~= "package" then
    package.loaded[name] = nil
  end
end
package.loaded.os = os
package.preload = {kube = function() return kube_functions end}
local sandbox = _G
local function compile(script)
  local chunk, message = loadstring(script, "=script")
  if not chunk then return nil, message end
  local env = setmetatable({}, {__index = sandbox})
  setfenv(chunk, env)
  return chunk, env
end
local function arm(seconds)
  if seconds then deadline = clock() + seconds else deadline = math.huge end
end
return compile, arm
""" % _HOOK_INSTRUCTIONS


class LuaScriptError(Exception):
    """A script that does not compile, raises, runs out of time or returns the wrong shape."""


class _Empty:
    """An empty Lua table on its way back: ``{}`` or ``[]`` is decided by the references."""


_EMPTY = _Empty()


def _deny_attributes(obj: Any, name: Any, setting: bool) -> Any:
    raise AttributeError("access to Python attributes is not allowed")


class LuaVM:
    """One Lua state. Not thread-safe; the controllers call it from their one event loop."""

    def __init__(self, kube_library: Mapping[str, Callable[..., Any]] | None = None) -> None:
        self._lua = lua51.LuaRuntime(
            register_eval=False, register_builtins=False, unpack_returned_tuples=True,
            attribute_filter=_deny_attributes, max_memory=_MAX_MEMORY,
        )  # fmt: skip
        functions = self._lua.table_from({name: self._wrap(fn) for name, fn in (kube_library or {}).items()})
        setup = self._lua.execute(_SETUP, functions, self._lua.table_from(list(_DISABLED)))
        self._compile, self._arm = setup
        self._compiled: dict[str, Any] = {}

    # -- values ------------------------------------------------------------------------------

    def to_lua(self, value: Any) -> Any:
        """JSON data as a Lua value (nulls are absent keys, as in upstream's decoder)."""
        if isinstance(value, (Mapping, list, tuple)):
            return self._lua.table_from(value, recursive=True)
        return value

    def from_lua(self, value: Any) -> Any:
        """A Lua value as JSON data; empty tables come back as a marker for ``resolve_empty``."""
        if lua51.lua_type(value) == "table":
            items = list(value.items())
            if not items:
                return _EMPTY
            keys = [key for key, _ in items]
            if all(type(key) is int and key >= 1 for key in keys):
                array: list[Any] = [None] * max(keys)
                for key, item in items:
                    array[key - 1] = self.from_lua(item)
                return array
            if all(isinstance(key, str) for key in keys):
                return {key: self.from_lua(item) for key, item in items}
            raise LuaScriptError("cannot encode mixed or invalid key types")
        if value is None or isinstance(value, (bool, int, str)):
            return value
        if isinstance(value, float):
            if math.isnan(value) or math.isinf(value):
                raise LuaScriptError(f"cannot encode number {value} to JSON")
            return int(value) if value.is_integer() else value
        if isinstance(value, bytes):
            return value.decode("utf-8", "replace")
        raise LuaScriptError(f"cannot encode {lua51.lua_type(value) or type(value).__name__} to JSON")

    @staticmethod
    def is_table(value: Any) -> bool:
        return lua51.lua_type(value) == "table"

    @staticmethod
    def type_name(value: Any) -> str:
        """The Lua type of a value that came back from a call, for error messages."""
        if value is None:
            return "nil"
        if isinstance(value, bool):
            return "boolean"
        if isinstance(value, (int, float)):
            return "number"
        if isinstance(value, (str, bytes)):
            return "string"
        return lua51.lua_type(value) or type(value).__name__

    def _wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            result = fn(*(resolve_empty(self.from_lua(arg), is_object=True) for arg in args))
            return self.to_lua(result)

        return call

    # -- scripts -----------------------------------------------------------------------------

    def check(self, script: str) -> None:
        """Compile only (the webhook and ``interpret --check``): raises LuaScriptError on syntax."""
        chunk, message = self._compile(script)
        if chunk is None:
            raise LuaScriptError(str(message))

    def call(self, script: str, function: str, *args: Any) -> tuple[Any, ...]:
        """Run ``script``, then call its global ``function`` with ``args`` (JSON data); returns
        every value the function returned, still as Lua values."""
        env = self._load(script)
        fn = env[function]
        if fn is None:
            raise LuaScriptError(f"not found function {function}")
        if lua51.lua_type(fn) != "function":
            raise LuaScriptError(f"{function} is not a function: {lua51.lua_type(fn)}")
        lua_args = [self.to_lua(arg) for arg in args]
        self._arm(SCRIPT_TIMEOUT_SECONDS)
        try:
            result = fn(*lua_args)
        except lua51.LuaMemoryError:
            raise LuaScriptError("script ran out of memory") from None
        except lua51.LuaError as err:
            raise LuaScriptError(str(err).strip()) from None
        finally:
            self._arm(None)
        return result if isinstance(result, tuple) else (result,)

    def _load(self, script: str) -> Any:
        env = self._compiled.get(script)
        if env is not None:
            return env
        chunk, env = self._compile(script)
        if chunk is None:
            raise LuaScriptError(str(env))
        self._arm(SCRIPT_TIMEOUT_SECONDS)
        try:
            chunk()
        except lua51.LuaMemoryError:
            raise LuaScriptError("script ran out of memory") from None
        except lua51.LuaError as err:
            raise LuaScriptError(str(err).strip()) from None
        finally:
            self._arm(None)
        if len(self._compiled) > 256:
            self._compiled.clear()
        self._compiled[script] = env
        return env


def _empty_paths(value: Any, path: tuple[str, ...], arrays: set[tuple[str, ...]], objects: set[tuple[str, ...]]) -> None:
    """Record where ``value`` holds empty arrays and empty objects; array indexes are not part
    of a path, so ``spec.rules[3].tags`` is ``spec.rules.tags`` (upstream's rule)."""
    children: Iterable[tuple[tuple[str, ...], Any]]
    if isinstance(value, Mapping):
        children = ((path + (str(key),), item) for key, item in value.items())
    elif isinstance(value, list):
        children = ((path, item) for item in value)
    else:
        return
    for child_path, item in children:
        if isinstance(item, list) and not item:
            arrays.add(child_path)
        elif isinstance(item, Mapping) and not item:
            objects.add(child_path)
        else:
            _empty_paths(item, child_path, arrays, objects)


def resolve_empty(value: Any, *, is_object: bool, references: Iterable[Any] = ()) -> Any:
    """Turn the empty-table markers in ``value`` into ``{}`` or ``[]`` as the references show,
    dropping the ones no reference explains. ``is_object`` decides an empty result itself."""
    if value is _EMPTY:
        return {} if is_object else []
    arrays: set[tuple[str, ...]] = set()
    objects: set[tuple[str, ...]] = set()
    for reference in references:
        _empty_paths(reference, (), arrays, objects)
    return _resolve(value, (), arrays, objects)


def _resolve(value: Any, path: tuple[str, ...], arrays: set[tuple[str, ...]], objects: set[tuple[str, ...]]) -> Any:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            child = path + (key,)
            if item is _EMPTY:
                if child in objects:
                    out[key] = {}
                elif child in arrays:
                    out[key] = []
                continue
            out[key] = _resolve(item, child, arrays, objects)
        return out
    if isinstance(value, list):
        items: list[Any] = []
        for item in value:
            if item is _EMPTY:
                if path in objects:
                    items.append({})
                elif path in arrays:
                    items.append([])
                continue
            items.append(_resolve(item, path, arrays, objects))
        return items
    return value
