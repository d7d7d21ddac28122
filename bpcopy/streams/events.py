"""A minimal Node.js-style event emitter: `on`, `once`, `off`, `emit`.

It knows nothing about streams. Listener lists are replaced, never mutated, when a
listener is added or removed, so `emit` can walk a list without copying it even when a
listener removes itself (as `once` wrappers and pipe()'s clean-up do).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Listener = Callable[..., Any]


class EventEmitter:
    """Named events with ordered listeners, as in Node's `events` module."""

    def __init__(self) -> None:
        self._events: dict[str, list[Listener]] = {}

    def on(self, name: str, listener: Listener) -> EventEmitter:
        self._events[name] = [*self._events.get(name, ()), listener]
        return self

    add_listener = on

    def prepend_listener(self, name: str, listener: Listener) -> EventEmitter:
        self._events[name] = [listener, *self._events.get(name, ())]
        return self

    def once(self, name: str, listener: Listener) -> EventEmitter:
        def fire_once(*args: Any) -> None:
            self.off(name, fire_once)
            listener(*args)

        fire_once.listener = listener  # type: ignore[attr-defined]  # lets off() find it
        return self.on(name, fire_once)

    def off(self, name: str, listener: Listener) -> EventEmitter:
        listeners = self._events.get(name)
        if not listeners:
            return self
        # Node removes the most recently added match.
        for index in range(len(listeners) - 1, -1, -1):
            candidate = listeners[index]
            # == rather than `is`: a bound method is a new object at every access.
            if candidate == listener or getattr(candidate, "listener", None) == listener:
                remaining = listeners[:index] + listeners[index + 1:]
                if remaining:
                    self._events[name] = remaining
                else:
                    del self._events[name]
                break
        return self

    remove_listener = off

    def remove_all_listeners(self, name: str | None = None) -> EventEmitter:
        if name is None:
            self._events.clear()
        else:
            self._events.pop(name, None)
        return self

    def emit(self, name: str, *args: Any) -> bool:
        listeners = self._events.get(name)
        if not listeners:
            if name == "error":
                # As in Node, an error nobody listens for is thrown.
                error = args[0] if args else None
                raise error if isinstance(error, BaseException) else RuntimeError(error)
            return False
        for listener in listeners:
            listener(*args)
        return True

    def event_names(self) -> list[str]:
        """The names that have listeners, in the order they were first added."""
        return list(self._events)

    def listener_count(self, name: str) -> int:
        return len(self._events.get(name, ()))

    def listeners(self, name: str) -> list[Listener]:
        return [getattr(fn, "listener", fn) for fn in self._events.get(name, ())]
